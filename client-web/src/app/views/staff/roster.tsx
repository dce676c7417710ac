// roster.tsx - the supervisor's roster of a unit: one row per shift (the worker, the days as
// checkboxes, start and end times, whether it runs on holidays), rows added and removed, saved
// whole with the error summary pattern; and the unit's own closed days (a date and a note to
// add, each day removable).
import { useState } from 'preact/hooks';
import type { ClosedDay, PersonName, Shift, StaffSession, SuperviseController } from '../../staff/contract';
import { t, type Key, type Lang } from '../../i18n';
import { formatDay } from '../../format';
import { ErrorSummary, Heading, InlineError, type FieldError } from '../common';
import { LoadFailed, Loading, personText } from './parts';
import { closedDayProblems, helsinkiDate, shiftProblems } from './rules';
import { useLoaded } from './use';

const DAYS: Shift['days'][number][] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_TEXT: Record<Shift['days'][number], Key> = {
  mon: 'roster.day.mon', tue: 'roster.day.tue', wed: 'roster.day.wed', thu: 'roster.day.thu', fri: 'roster.day.fri', sat: 'roster.day.sat', sun: 'roster.day.sun',
};

type Member = { user: string; username: string; name: PersonName | null };
type Row = Shift & { key: number };
let nextKey = 1;

function ShiftRow(props: { lang: Lang; row: Row; n: number; members: Member[]; errors: FieldError[]; change(r: Row): void; remove(): void }) {
  const { lang, row, n, members, errors, change, remove } = props;
  const id = `shift-${row.key}`;
  const err = (f: string) => errors.find((e) => e.field === `${id}-${f}`)?.text ?? null;
  const userErr = err('user');
  const daysErr = err('mon');
  const timeErr = err('start');
  return (
    <fieldset class="shift">
      <legend>{t(lang, 'roster.shift', { n: String(n) })}</legend>
      <div class={userErr ? 'field field-bad' : 'field'}>
        <label for={`${id}-user`}>{t(lang, 'roster.worker')}</label>
        {userErr && <InlineError lang={lang} id={`${id}-user-error`} text={userErr} />}
        <select id={`${id}-user`} value={row.user} onChange={(e) => change({ ...row, user: e.currentTarget.value })} aria-describedby={userErr ? `${id}-user-error` : undefined}>
          <option value="">{t(lang, 'super.reassign.choose')}</option>
          {members.map((m) => (
            <option key={m.user} value={m.user}>
              {personText(m.name, m.username)}
            </option>
          ))}
        </select>
      </div>
      <fieldset class={daysErr ? 'field days field-bad' : 'field days'}>
        <legend>{t(lang, 'roster.days')}</legend>
        {daysErr && <InlineError lang={lang} id={`${id}-days-error`} text={daysErr} />}
        <div class="day-boxes">
          {DAYS.map((d) => (
            <span key={d} class="day-box">
              <input
                type="checkbox"
                id={`${id}-${d}`}
                checked={row.days.includes(d)}
                onChange={(e) => change({ ...row, days: e.currentTarget.checked ? DAYS.filter((x) => x === d || row.days.includes(x)) : row.days.filter((x) => x !== d) })}
              />
              <label for={`${id}-${d}`}>{t(lang, DAY_TEXT[d])}</label>
            </span>
          ))}
        </div>
      </fieldset>
      <div class={timeErr ? 'times field-bad' : 'times'}>
        {timeErr && <InlineError lang={lang} id={`${id}-time-error`} text={timeErr} />}
        <div class="field">
          <label for={`${id}-start`}>{t(lang, 'roster.start')}</label>
          <input type="time" id={`${id}-start`} value={row.start} onInput={(e) => change({ ...row, start: e.currentTarget.value })} aria-describedby={timeErr ? `${id}-time-error` : undefined} />
        </div>
        <div class="field">
          <label for={`${id}-end`}>{t(lang, 'roster.end')}</label>
          <input type="time" id={`${id}-end`} value={row.end} onInput={(e) => change({ ...row, end: e.currentTarget.value })} aria-describedby={timeErr ? `${id}-time-error` : undefined} />
        </div>
      </div>
      <div class="checkbox">
        <input type="checkbox" id={`${id}-holidays`} checked={row.onHolidays} onChange={(e) => change({ ...row, onHolidays: e.currentTarget.checked })} />
        <label for={`${id}-holidays`}>{t(lang, 'roster.onHolidays')}</label>
      </div>
      <button type="button" class="link" onClick={remove}>
        {t(lang, 'roster.remove')}
        <span class="visually-hidden"> {t(lang, 'roster.shift', { n: String(n) })}</span>
      </button>
    </fieldset>
  );
}

function ShiftsEditor({ lang, supervise, unit, shifts, members }: { lang: Lang; supervise: SuperviseController; unit: string; shifts: Shift[]; members: Member[] }) {
  const [rows, setRows] = useState<Row[]>(() => shifts.map((s) => ({ ...s, key: nextKey++ })));
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [state, setState] = useState<'idle' | 'saving' | 'saved' | 'failed'>('idle');
  const save = async () => {
    const errs: FieldError[] = [];
    rows.forEach((r, i) => {
      const n = String(i + 1);
      for (const p of shiftProblems(r)) {
        if (p === 'user') errs.push({ field: `shift-${r.key}-user`, text: t(lang, 'roster.error.user', { n }) });
        if (p === 'days') errs.push({ field: `shift-${r.key}-mon`, text: t(lang, 'roster.error.days', { n }) });
        if (p === 'time') errs.push({ field: `shift-${r.key}-start`, text: t(lang, 'roster.error.time', { n }) });
      }
    });
    setErrors(errs);
    if (errs.length > 0) return;
    setState('saving');
    try {
      await supervise.setRoster(unit, rows.map(({ key: _key, ...s }) => s));
      setState('saved');
    } catch {
      setState('failed');
    }
  };
  const update = (next: Row[]) => {
    setRows(next);
    setState('idle');
  };
  return (
    <section aria-labelledby="shifts-h">
      <h2 id="shifts-h">{t(lang, 'roster.shifts')}</h2>
      <p class="hint">{t(lang, 'roster.shiftsHint')}</p>
      <ErrorSummary lang={lang} errors={errors} />
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (state !== 'saving') void save();
        }}
      >
        {rows.length === 0 && <p>{t(lang, 'roster.noShifts')}</p>}
        {rows.map((r, i) => (
          <ShiftRow
            key={r.key}
            lang={lang}
            row={r}
            n={i + 1}
            members={members}
            errors={errors}
            change={(x) => update(rows.map((y) => (y.key === x.key ? x : y)))}
            remove={() => update(rows.filter((y) => y.key !== r.key))}
          />
        ))}
        <div class="actions">
          <button type="button" class="secondary" onClick={() => update([...rows, { key: nextKey++, user: '', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '16:00', onHolidays: false }])}>
            {t(lang, 'roster.add')}
          </button>
          <button type="submit" disabled={state === 'saving'}>
            {t(lang, 'roster.save')}
          </button>
        </div>
        {state === 'saved' && (
          <p class="success" role="status">
            {t(lang, 'roster.saved')}
          </p>
        )}
        {state === 'failed' && (
          <p class="error" role="alert">
            {t(lang, 'roster.failed')}
          </p>
        )}
      </form>
    </section>
  );
}

function ClosedDays({ lang, supervise, unit, days }: { lang: Lang; supervise: SuperviseController; unit: string; days: ClosedDay[] }) {
  const [list, setList] = useState(days);
  const [date, setDate] = useState('');
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [failed, setFailed] = useState(false);
  const [busy, setBusy] = useState(false);
  const run = async (add: ClosedDay[], remove: string[]) => {
    setBusy(true);
    setFailed(false);
    try {
      await supervise.setClosedDays(unit, add, remove);
      setList((old) => [...old.filter((d) => !remove.includes(d.date) && !add.some((a) => a.date === d.date)), ...add].sort((a, b) => a.date.localeCompare(b.date)));
      return true;
    } catch {
      setFailed(true);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const add = async () => {
    const errs: FieldError[] = closedDayProblems(date, note, helsinkiDate(Date.now())).map((p) =>
      p === 'note' ? { field: 'closed-note', text: t(lang, 'roster.closed.error.note') } : { field: 'closed-date', text: t(lang, p === 'past' ? 'roster.closed.error.past' : 'roster.closed.error.date') },
    );
    setErrors(errs);
    if (errs.length > 0) return;
    if (await run([{ date, note: note.trim() || null }], [])) {
      setDate('');
      setNote('');
    }
  };
  const dateErr = errors.find((e) => e.field === 'closed-date')?.text ?? null;
  const noteErr = errors.find((e) => e.field === 'closed-note')?.text ?? null;
  return (
    <section aria-labelledby="closed-h">
      <h2 id="closed-h">{t(lang, 'roster.closed.title')}</h2>
      <p class="hint">{t(lang, 'roster.closed.hint')}</p>
      {list.length === 0 ? (
        <p>{t(lang, 'roster.closed.none')}</p>
      ) : (
        <ul class="closed-days">
          {list.map((d) => (
            <li key={d.date}>
              <span>
                <strong>{formatDay(Date.parse(d.date + 'T12:00:00Z'), lang)} {d.date.slice(0, 4)}</strong>
                {d.note && <span> – {d.note}</span>}
              </span>
              <button type="button" class="link" disabled={busy} onClick={() => void run([], [d.date])}>
                {t(lang, 'roster.closed.remove')}
                <span class="visually-hidden"> {d.date}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorSummary lang={lang} errors={errors} />
      <form
        noValidate
        class="closed-add"
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy) void add();
        }}
      >
        <div class={dateErr ? 'field field-bad' : 'field'}>
          <label for="closed-date">{t(lang, 'roster.closed.date')}</label>
          {dateErr && <InlineError lang={lang} id="closed-date-error" text={dateErr} />}
          <input type="date" id="closed-date" value={date} onInput={(e) => setDate(e.currentTarget.value)} aria-invalid={dateErr ? 'true' : undefined} aria-describedby={dateErr ? 'closed-date-error' : undefined} />
        </div>
        <div class={noteErr ? 'field field-bad' : 'field'}>
          <label for="closed-note">{t(lang, 'roster.closed.note')}</label>
          {noteErr && <InlineError lang={lang} id="closed-note-error" text={noteErr} />}
          <input type="text" id="closed-note" value={note} onInput={(e) => setNote(e.currentTarget.value)} aria-invalid={noteErr ? 'true' : undefined} aria-describedby={noteErr ? 'closed-note-error' : undefined} />
        </div>
        <button type="submit" class="secondary" disabled={busy}>
          {t(lang, 'roster.closed.add')}
        </button>
        {failed && (
          <p class="error" role="alert">
            {t(lang, 'roster.failed')}
          </p>
        )}
      </form>
    </section>
  );
}

export function RosterPage({ lang, session, supervise }: { lang: Lang; session: StaffSession; supervise: SuperviseController }) {
  const units = session.units.filter((u) => u.role === 'supervisor');
  const [unit, setUnit] = useState(units[0]?.unit ?? '');
  const [data, reload] = useLoaded(() => supervise.roster(unit), [supervise, unit]);
  return (
    <>
      <Heading>{t(lang, 'roster.title')}</Heading>
      {units.length > 1 && (
        <div class="field">
          <label for="roster-unit">{t(lang, 'queue.filter.unit')}</label>
          <select id="roster-unit" value={unit} onChange={(e) => setUnit(e.currentTarget.value)}>
            {units.map((u) => (
              <option key={u.unit} value={u.unit}>
                {u.name}
              </option>
            ))}
          </select>
        </div>
      )}
      {data.kind === 'loading' && <Loading lang={lang} />}
      {data.kind === 'failed' && <LoadFailed lang={lang} retry={reload} />}
      {data.kind === 'ok' && (
        <div key={unit}>
          <ShiftsEditor lang={lang} supervise={supervise} unit={unit} shifts={data.value.shifts} members={data.value.members} />
          <ClosedDays lang={lang} supervise={supervise} unit={unit} days={data.value.closedDays} />
        </div>
      )}
    </>
  );
}
