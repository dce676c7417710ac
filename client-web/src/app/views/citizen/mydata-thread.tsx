// mydata-thread.tsx - what a message of content version 2 is, said in the thread: a worker's
// correction of an earlier message (both stay in the thread) with its reason, the citizen's
// request about their data, a decision on it with its reason. Server-independent: the kind,
// the message referred to and the note come from the decrypted, signed content.
import type { ShownMessage } from '../../citizen/contract';
import { t, type Lang } from '../../i18n';
import { formatDateTime } from '../../format';

/** The line shown with a version 2 message (nothing for version 1). `referred` finds the time of
 *  the message it refers to, when the thread holds it. */
export function ContentV2Line(props: { lang: Lang; m: ShownMessage; referred: (id: string) => number | null }) {
  const { lang, m, referred } = props;
  if (m.v2 === undefined) return null;
  const at = referred(m.v2.ref);
  const when = at === null ? null : formatDateTime(at, lang);
  if (m.v2.kind === 1)
    return (
      <p class="v2-line">
        <strong>{when === null ? t(lang, 'mydata.thread.correction') : t(lang, 'mydata.thread.correctionOf', { time: when })}</strong>{' '}
        {m.v2.note !== '' && t(lang, 'mydata.thread.reason', { reason: m.v2.note })}
      </p>
    );
  if (m.v2.kind === 2)
    return (
      <p class="v2-line">
        <strong>{t(lang, 'mydata.thread.request')}</strong>
      </p>
    );
  return (
    <p class="v2-line">
      <strong>{t(lang, 'mydata.thread.decision')}</strong> {m.v2.note !== '' && t(lang, 'mydata.thread.reason', { reason: m.v2.note })}
    </p>
  );
}
