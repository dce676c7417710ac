// parts.tsx - small pieces the staff views share: a person's name and title, the deadline in
// words with its level's word (colour is never the only sign), the waiting time, a modal
// dialog that takes the focus, keeps it while open and gives it back where it was, and the
// loading / failed lines, links between the workspace's pages.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { Deadline, PersonName } from '../../staff/contract';
import { t, type Lang } from '../../i18n';
import { formatDateTime } from '../../format';
import { deadlineBadge, deadlineText, staffHashOf, waitText, type StaffRoute } from './rules';

export type StaffNavigate = (to: StaffRoute) => void;

export function personText(p: PersonName | null | undefined, fallback: string): string {
  if (!p) return fallback;
  return p.title ? `${p.name}, ${p.title}` : p.name;
}

export function deadlineWords(lang: Lang, d: Deadline): string {
  const w = deadlineText(d);
  return t(lang, w.key, { n: String(w.n) });
}

/** The deadline: the level's word (urgent / overdue) and the working days, in a box coloured by
 *  the level; `full` adds the due moment. */
export function DeadlineText({ lang, d, full = false }: { lang: Lang; d: Deadline | null; full?: boolean }) {
  if (d === null) return <span class="dl dl-none">{t(lang, 'queue.deadline.none')}</span>;
  const badge = deadlineBadge(d);
  const level = d.state !== 'running' ? 'paused' : d.level;
  return (
    <span class={`dl dl-${level}`}>
      {badge && <strong class="dl-badge">{t(lang, badge)}: </strong>}
      {deadlineWords(lang, d)}
      {full && d.state === 'running' && <span class="dl-due"> ({t(lang, 'queue.deadline.due', { when: formatDateTime(d.due, lang) })})</span>}
    </span>
  );
}

export function waitWords(lang: Lang, from: number, now: number): string {
  const w = waitText(from, now);
  return t(lang, w.key, { n: String(w.n), m: String(w.m) });
}

/**
 * A modal dialog (<dialog> shown with showModal: the page behind is inert, Escape cancels):
 * the focus goes to `initial` (or the dialog's heading) when it opens and back to what had it
 * before when it closes.
 */
export function Modal(props: { id: string; title: string; onCancel: () => void; children: ComponentChildren; class?: string }) {
  const { id, title, onCancel, children } = props;
  const ref = useRef<HTMLDialogElement>(null);
  const cancel = useRef(onCancel);
  cancel.current = onCancel;
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const d = ref.current!;
    if (!d.open) d.showModal();
    const first = d.querySelector<HTMLElement>('[data-autofocus]') ?? d.querySelector<HTMLElement>('h2');
    first?.focus();
    const onEsc = (e: Event) => {
      e.preventDefault();
      cancel.current();
    };
    d.addEventListener('cancel', onEsc);
    return () => {
      d.removeEventListener('cancel', onEsc);
      if (d.open) d.close();
      if (before && document.contains(before)) before.focus();
    };
  }, []);
  return (
    <dialog ref={ref} class={`staff-dialog ${props.class ?? ''}`} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`} tabIndex={-1}>
        {title}
      </h2>
      {children}
    </dialog>
  );
}

export function Loading({ lang }: { lang: Lang }) {
  return <p role="status">{t(lang, 'staff.loading')}</p>;
}

export function LoadFailed({ lang, retry }: { lang: Lang; retry: () => void }) {
  return (
    <div class="error" role="alert">
      <p>{t(lang, 'staff.loadFailed')}</p>
      <button type="button" class="secondary" onClick={retry}>
        {t(lang, 'staff.retry')}
      </button>
    </div>
  );
}

/** A link to a page of the workspace; a plain click stays in the page. */
export function StaffLink(props: { to: StaffRoute; nav: StaffNavigate; children: ComponentChildren; class?: string; current?: boolean }) {
  const { to, nav, children, current } = props;
  return (
    <a
      href={staffHashOf(to)}
      class={props.class}
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

