// common.tsx - what the views share: links between pages (the router's, app.tsx) and a text
// the organiser configures, shown as text or as "not filled in yet".
import type { ComponentChildren } from 'preact';
import { hashOf, type Route } from '../route';
import { t, type Lang } from '../i18n';

export type Navigate = (to: Route) => void;

/** A link to a page of the app; a plain click stays in the page (a modified one opens a tab). */
export function PageLink({ to, nav, children, class: cls }: { to: Route; nav: Navigate; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={hashOf(to)}
      class={cls}
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
