// reassign.tsx - the supervisor's reassign dialog: to a worker of the thread's unit, or to a
// queue (possibly of another unit: a new key is then made for the thread, so the other unit
// can read it); a reason is required (the error summary pattern); the controller's refusals in
// words. Also the supervisor's release to the queue with its required reason.
import { useState } from 'preact/hooks';
import type { ReassignError, SuperviseController } from '../../staff/contract';
import { t, type Key, type Lang } from '../../i18n';
import { ErrorSummary, InlineError, type FieldError } from '../common';
import { Modal, personText } from './parts';
import { errorCode, reassignProblems } from './rules';
import { useDashboards, useLoaded } from './use';

const REASSIGN_ERROR: Record<ReassignError, Key> = {
  not_found: 'super.error.notFound',
  forbidden: 'super.error.forbidden',
  closed: 'super.error.closed',
  no_reason: 'super.error.reason',
  keys: 'super.error.keys',
  network: 'super.error.network',
  failed: 'super.error.failed',
};

export function reassignErrorText(lang: Lang, e: unknown): string {
  const code = errorCode(e) as ReassignError;
  return t(lang, REASSIGN_ERROR[code] ?? 'super.error.failed');
}

export function ReassignDialog(props: { lang: Lang; supervise: SuperviseController; thread: string; unit: string; onDone(): void; onCancel(): void }) {
  const { lang, supervise, thread, unit, onDone, onCancel } = props;
  const dashboards = useDashboards(supervise);
  const [targets] = useLoaded(() => supervise.targets(), [supervise]);
  const [kind, setKindState] = useState<'worker' | 'queue'>('worker');
  const [toUser, setToUser] = useState('');
  const [toCategory, setToCategory] = useState('');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [failed, setFailed] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Another kind of target: the old errors named a field no longer shown.
  const setKind = (k: 'worker' | 'queue') => {
    setKindState(k);
    setErrors((old) => old.filter((e) => e.field === 'reassign-reason'));
  };
  const workers = dashboards.find((d) => d.unit === unit)?.workers ?? [];
  const list = targets.kind === 'ok' ? targets.value : [];
  const target = list.find((x) => x.unit + '/' + x.category === toCategory);
  const otherUnit = kind === 'queue' && target !== undefined && target.unit !== unit;

  const submit = async () => {
    const input = kind === 'worker' ? { toUser: toUser || undefined, reason } : { toCategory: target?.category, reason };
    const problems = reassignProblems(input);
    const errs: FieldError[] = problems.map((p) =>
      p === 'target'
        ? { field: kind === 'worker' ? 'reassign-user' : 'reassign-queue', text: t(lang, kind === 'worker' ? 'super.reassign.error.user' : 'super.reassign.error.queue') }
        : { field: 'reassign-reason', text: t(lang, 'super.reassign.error.reason') },
    );
    setErrors(errs);
    if (errs.length > 0) return;
    setBusy(true);
    setFailed(null);
    try {
      await supervise.reassign(thread, input);
      onDone();
    } catch (e) {
      setFailed(reassignErrorText(lang, e));
    } finally {
      setBusy(false);
    }
  };
  const errOf = (field: string) => errors.find((e) => e.field === field)?.text ?? null;
  const userErr = errOf('reassign-user');
  const queueErr = errOf('reassign-queue');
  const reasonErr = errOf('reassign-reason');
  return (
    <Modal id="reassign" title={t(lang, 'super.reassign.title')} onCancel={onCancel}>
      <ErrorSummary lang={lang} errors={errors} />
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy) void submit();
        }}
      >
        <fieldset class="field">
          <legend class="label">{t(lang, 'super.reassign.to')}</legend>
          <div class="radio">
            <input type="radio" id="reassign-kind-worker" name="reassign-kind" checked={kind === 'worker'} onChange={() => setKind('worker')} />
            <label for="reassign-kind-worker">{t(lang, 'super.reassign.toWorker')}</label>
          </div>
          <div class="radio">
            <input type="radio" id="reassign-kind-queue" name="reassign-kind" checked={kind === 'queue'} onChange={() => setKind('queue')} />
            <label for="reassign-kind-queue">{t(lang, 'super.reassign.toQueue')}</label>
          </div>
        </fieldset>
        {kind === 'worker' ? (
          <div class={userErr ? 'field field-bad' : 'field'}>
            <label class="label" for="reassign-user">
              {t(lang, 'super.reassign.worker')}
            </label>
            {userErr && <InlineError lang={lang} id="reassign-user-error" text={userErr} />}
            <select id="reassign-user" value={toUser} data-autofocus onChange={(e) => setToUser(e.currentTarget.value)} aria-describedby={userErr ? 'reassign-user-error' : undefined}>
              <option value="">{t(lang, 'super.reassign.choose')}</option>
              {workers.map((w) => (
                <option key={w.user} value={w.user}>
                  {personText(w.name, w.username)} – {t(lang, w.onDuty ? 'super.onDuty' : 'super.offDuty')}, {t(lang, 'super.load', { n: String(w.load) })}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <div class={queueErr ? 'field field-bad' : 'field'}>
            <label class="label" for="reassign-queue">
              {t(lang, 'super.reassign.queue')}
            </label>
            <p class="hint" id="reassign-queue-hint">
              {t(lang, 'super.reassign.otherUnitHint')}
            </p>
            {queueErr && <InlineError lang={lang} id="reassign-queue-error" text={queueErr} />}
            <select
              id="reassign-queue"
              value={toCategory}
              onChange={(e) => setToCategory(e.currentTarget.value)}
              aria-describedby={queueErr ? 'reassign-queue-hint reassign-queue-error' : 'reassign-queue-hint'}
            >
              <option value="">{t(lang, 'super.reassign.choose')}</option>
              {[...new Set(list.map((x) => x.unit))].map((u) => (
                <optgroup key={u} label={list.find((x) => x.unit === u)!.unitName}>
                  {list
                    .filter((x) => x.unit === u)
                    .map((x) => (
                      <option key={x.unit + x.category} value={x.unit + '/' + x.category}>
                        {x.name}
                      </option>
                    ))}
                </optgroup>
              ))}
            </select>
            {otherUnit && (
              <p class="notice" role="status">
                {t(lang, 'super.reassign.newKey', { unit: target!.unitName })}
              </p>
            )}
          </div>
        )}
        <div class={reasonErr ? 'field field-bad' : 'field'}>
          <label class="label" for="reassign-reason">
            {t(lang, 'super.reassign.reason')}
          </label>
          <p class="hint" id="reassign-reason-hint">
            {t(lang, 'super.reassign.reasonHint')}
          </p>
          {reasonErr && <InlineError lang={lang} id="reassign-reason-error" text={reasonErr} />}
          <textarea
            id="reassign-reason"
            class="short"
            rows={3}
            value={reason}
            aria-invalid={reasonErr ? 'true' : undefined}
            aria-describedby={reasonErr ? 'reassign-reason-hint reassign-reason-error' : 'reassign-reason-hint'}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
        </div>
        {failed && (
          <p class="error" role="alert">
            {failed}
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t(lang, busy ? 'super.reassign.busy' : 'super.reassign.submit')}
          </button>
          <button type="button" class="secondary" onClick={onCancel}>
            {t(lang, 'staff.cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
