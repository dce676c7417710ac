// parts.tsx - what the staff login's views share: a labelled text field with its hint and
// inline error (GOV.UK / Suomi.fi pattern; the error summary is common.tsx's), the step's
// container whose h1 takes the focus when the step appears, the busy line (Argon2id takes a
// moment), and the login errors' texts (a wait in minutes for locked and rate_limited).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { t, type Key, type Lang } from '../../../i18n';
import type { LoginError, LoginErrorCode } from '../../../staff/contract';
import { InlineError, type FieldError } from '../../common';

export type { FieldError };

/** A ref for a step's container whose h1 gets the focus when the step (`step`) appears. */
export function useFocusOnStep(step: unknown) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [step]);
  return ref;
}

export interface FieldProps {
  lang: Lang;
  id: string;
  label: string;
  hint?: string;
  error?: string;
  value: string;
  onInput: (v: string) => void;
  type?: 'text' | 'password';
  autocomplete: string;
  /** One-time codes: digits only, on a number pad. */
  numeric?: boolean;
  class?: string;
}

/** A text field with its label, hint and inline error, tied together for screen readers. */
export function Field(p: FieldProps) {
  const described = [p.hint ? `${p.id}-hint` : '', p.error ? `${p.id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={p.error ? 'field field-bad' : 'field'}>
      <label class="label" for={p.id}>
        {p.label}
      </label>
      {p.hint && (
        <p id={`${p.id}-hint`} class="hint">
          {p.hint}
        </p>
      )}
      {p.error && <InlineError lang={p.lang} id={`${p.id}-error`} text={p.error} />}
      <input
        id={p.id}
        name={p.id}
        class={p.class ?? 'text-input'}
        type={(p.type ?? 'text') as 'text'}
        autocomplete={p.autocomplete}
        autocapitalize="none"
        spellcheck={false}
        inputMode={p.numeric ? 'numeric' : undefined}
        pattern={p.numeric ? '[0-9]*' : undefined}
        value={p.value}
        aria-invalid={p.error ? true : undefined}
        aria-describedby={described || undefined}
        onInput={(e) => p.onInput((e.target as HTMLInputElement).value)}
      />
    </div>
  );
}

/** The step's frame: its container (focus on the h1 when `step` changes). */
export function Step({ step, children }: { step: unknown; children: ComponentChildren }) {
  const ref = useFocusOnStep(step);
  return (
    <div ref={ref} class="staff-step">
      {children}
    </div>
  );
}

export function Busy({ lang }: { lang: Lang }) {
  return (
    <p role="status" class="busy">
      {t(lang, 'staffLogin.busy')}
    </p>
  );
}

const ERROR_TEXT: Record<LoginErrorCode, Key> = {
  bad_credentials: 'staffLogin.err.badCredentials',
  totp_required: 'staffLogin.err.totpRequired',
  enrol_required: 'staffLogin.err.enrolRequired',
  password_expired: 'staffLogin.err.passwordExpired',
  locked: 'staffLogin.err.locked',
  rate_limited: 'staffLogin.err.rateLimited',
  forbidden: 'staffLogin.err.forbidden',
  weak_parameters: 'staffLogin.err.weakParameters',
  password_rules: 'password.err.rules',
  network: 'staffLogin.err.network',
  failed: 'staffLogin.err.failed',
};

/** The text of a refused step; a wait in whole minutes (at least one) when the server gave one. */
export function loginErrorText(lang: Lang, e: LoginError): string {
  const text = t(lang, ERROR_TEXT[e.code] ?? 'staffLogin.err.failed');
  if (e.code === 'locked' && e.retryAfter === undefined)
    return t(lang, 'staffLogin.err.lockedAdmin');
  if (e.retryAfter === undefined) return text;
  return `${text} ${t(lang, 'staffLogin.err.wait', { minutes: String(Math.max(1, Math.ceil(e.retryAfter / 60))) })}`;
}
