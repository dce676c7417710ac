// parts.tsx - what the key views share: the heading focused when a step appears, the error
// summary (GOV.UK / Suomi.fi pattern: a titled list of links to the fields, focused when shown),
// an inline field error, the comparison code and the error codes' texts.
import { Fragment, type ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { t, type Key, type Lang } from '../../../i18n';

/** A ref for a step's container whose h1 gets the focus when the step (`step`) appears. */
export function useFocusOnStep(step: unknown) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [step]);
  return ref;
}

export interface FieldError {
  /** The id of the field the error is about. */
  field: string;
  text: string;
}

/** The error summary: its title and one link per error, focused when it appears. */
export function ErrorSummary({ lang, errors }: { lang: Lang; errors: FieldError[] }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (errors.length > 0) ref.current?.focus();
  }, [errors]);
  if (errors.length === 0) return null;
  return (
    <div class="error-summary" ref={ref} tabIndex={-1} role="alert" aria-labelledby="error-summary-title">
      <h2 id="error-summary-title">{t(lang, 'keys.error.summary')}</h2>
      <ul>
        {errors.map((e) => (
          <li key={e.field}>
            <a
              href={`#${e.field}`}
              onClick={(ev) => {
                ev.preventDefault(); // the address is the app's route: focus the field instead
                document.getElementById(e.field)?.focus();
              }}
            >
              {e.text}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The error under a field (the field names it with aria-describedby). */
export function InlineError({ lang, id, text }: { lang: Lang; id: string; text: string }) {
  return (
    <p id={id} class="field-error">
      <span class="visually-hidden">{t(lang, 'keys.error.prefix')} </span>
      {text}
    </p>
  );
}

/** The 12-digit comparison code, large, read digit group by group. */
export function CompareCode({ code }: { code: string }) {
  return (
    <p class="compare-code">
      {code.split(' ').map((g, i) => (
        <Fragment key={i}>
          {i > 0 && ' '}
          <span>{g}</span>
        </Fragment>
      ))}
    </p>
  );
}

/** A message for the failure of a key operation (KeyError codes and the rest). */
export function errorText(lang: Lang, e: unknown): string {
  const code = String((e as { code?: unknown })?.code ?? '');
  const keys: Record<string, Key> = {
    typo: 'keys.error.typo',
    wrong_code: 'keys.error.wrongCode',
    no_recovery: 'keys.error.noRecovery',
    conflict: 'keys.error.conflict',
    network: 'keys.error.network',
  };
  return t(lang, keys[code] ?? 'keys.error.failed');
}

export function Busy({ lang, children }: { lang: Lang; children?: ComponentChildren }) {
  return (
    <p class="busy" role="status">
      {children ?? t(lang, 'keys.busy')}
    </p>
  );
}
