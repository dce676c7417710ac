// common.tsx - what the views share: links between pages (the router's, app.tsx), a text the
// organiser configures (shown as text or as "not filled in yet"), the view's heading, and the
// error summary with inline errors of the forms.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { hashOf, type Route } from '../route';
import { t, type Lang } from '../i18n';

export type Navigate = (to: Route) => void;

/** A link to a page of the app; a plain click stays in the page (a modified one opens a tab). */
export function PageLink(props: { to: Route; nav: Navigate; children: ComponentChildren; class?: string; current?: boolean }) {
  const { to, nav, children, class: cls, current } = props;
  return (
    <a
      href={hashOf(to)}
      class={cls}
      aria-current={current ? 'page' : undefined}
      onClick={(e) => {
        if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        nav(to);
      }}
    >
      {children}
    </a>
  );
}

/** A configured text from the server, or the notice that the organiser has not filled it in. */
export function Configured({ lang, value }: { lang: Lang; value: string | null | undefined }) {
  return value ? <p class="configured">{value}</p> : <p class="not-filled">{t(lang, 'notFilled')}</p>;
}

/** The view's heading: focused when the view changes (app.tsx), hence tabIndex -1. */
export function Heading({ children }: { children: ComponentChildren }) {
  return <h1 tabIndex={-1}>{children}</h1>;
}

/** An error tied to a field: `field` is the id of the control the summary's link moves to. */
export interface FieldError {
  field: string;
  text: string;
}

/**
 * The error summary (GOV.UK / Suomi.fi pattern): "There is a problem" and each error as a link
 * to its field, focused when shown so that a screen reader reads it at once; while shown, the
 * page's title starts with "Error:". Renders nothing without errors.
 */
export function ErrorSummary({ lang, errors }: { lang: Lang; errors: FieldError[] }) {
  const ref = useRef<HTMLDivElement>(null);
  const shown = errors.length > 0;
  useEffect(() => {
    if (!shown) return;
    ref.current?.focus();
    const prefix = t(lang, 'nav.errorPrefix');
    if (!document.title.startsWith(prefix)) document.title = prefix + document.title;
    return () => {
      if (document.title.startsWith(prefix)) document.title = document.title.slice(prefix.length);
    };
  }, [shown, errors, lang]);
  if (!shown) return null;
  return (
    <div class="error-summary" ref={ref} tabIndex={-1} role="alert" aria-labelledby="error-summary-h">
      <h2 id="error-summary-h">{t(lang, 'nav.errorSummary')}</h2>
      <ul>
        {errors.map((e) => (
          <li key={e.field + e.text}>
            <a
              href={'#' + e.field}
              onClick={(ev) => {
                ev.preventDefault();
                const el = document.getElementById(e.field);
                el?.scrollIntoView({ block: 'center' });
                el?.focus();
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

/** An inline error under a field (its id goes in the field's aria-describedby). */
export function InlineError({ lang, id, text }: { lang: Lang; id: string; text: string }) {
  return (
    <p class="field-error" id={id}>
      <span class="visually-hidden">{t(lang, 'nav.errorPrefix')}</span>
      {text}
    </p>
  );
}
