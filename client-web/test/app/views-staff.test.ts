// views-staff.test.ts - the staff workspace's rules (src/app/views/staff/rules.ts): its pages
// and addresses, deadlines and waiting times in words, error codes, canned answers by language
// and inserted at the cursor, and the checks of the supervisor's forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  closedDayProblems, deadlineBadge, deadlineText, errorCode, helsinkiDate, helsinkiDayStart, insertAt, orderCanned, reassignProblems, shiftProblems,
  staffHashOf, staffRouteOf, staffThreadOf, waitText,
} from '../../src/app/views/staff/rules';
import type { CannedAnswer, Deadline } from '../../src/app/staff/contract';

const ID = '0123456789abcdef0123456789abcdef';

test('pages: the hash names the page; unknown ones and a worker asking for a supervisor page get the queue', () => {
  assert.equal(staffRouteOf('', false), 'queue');
  assert.equal(staffRouteOf('#/mine', false), 'mine');
  assert.equal(staffRouteOf('#/audit/', true), 'audit');
  assert.equal(staffRouteOf('#/audit', false), 'queue');
  assert.equal(staffRouteOf('#/roster', false), 'queue');
  assert.equal(staffRouteOf(`#/thread/${ID}`, false), `thread/${ID}`);
  assert.equal(staffRouteOf('#/thread/XYZ', true), 'queue');
  assert.equal(staffRouteOf('#/nothing', true), 'queue');
  assert.equal(staffHashOf(`thread/${ID}`), `#/thread/${ID}`);
  assert.equal(staffThreadOf(`thread/${ID}`), ID);
  assert.equal(staffThreadOf('overview'), null);
});

function dl(days: number, level: Deadline['level'] = 'ok', state: Deadline['state'] = 'running'): Deadline {
  return { kind: 'first_answer', state, level, due: 0, warnAt: 0, workingDaysLeft: days };
}

test('deadlines: working days in words, with a level word only when the days do not say it', () => {
  assert.deepEqual(deadlineText(dl(3)), { key: 'queue.deadline.left', n: 3 });
  assert.deepEqual(deadlineText(dl(1)), { key: 'queue.deadline.left1', n: 1 });
  assert.deepEqual(deadlineText(dl(0, 'at_risk')), { key: 'queue.deadline.today', n: 0 });
  assert.deepEqual(deadlineText(dl(-1, 'missed')), { key: 'queue.deadline.over1', n: 1 });
  assert.deepEqual(deadlineText(dl(-4, 'missed')), { key: 'queue.deadline.over', n: 4 });
  assert.deepEqual(deadlineText(dl(2, 'ok', 'paused')), { key: 'queue.deadline.paused', n: 0 });
  assert.deepEqual(deadlineText(dl(2, 'ok', 'stopped')), { key: 'queue.deadline.stopped', n: 0 });
  assert.equal(deadlineBadge(dl(3)), null);
  assert.equal(deadlineBadge(dl(0, 'at_risk')), 'queue.level.atRisk');
  assert.equal(deadlineBadge(dl(-2, 'missed')), null, 'overdue says so itself');
  assert.equal(deadlineBadge(dl(0, 'missed')), 'queue.level.missed', 'missed earlier today: the word tells');
  assert.equal(deadlineBadge(dl(0, 'missed', 'paused')), null);
});

test('waiting time: minutes, hours and minutes, whole hours, one day, days', () => {
  const now = 10 * 86_400_000;
  assert.deepEqual(waitText(now - 5 * 60_000, now), { key: 'queue.wait.minutes', n: 5, m: 0 });
  assert.deepEqual(waitText(now + 60_000, now), { key: 'queue.wait.minutes', n: 0, m: 0 }, 'a clock ahead is no negative wait');
  assert.deepEqual(waitText(now - 135 * 60_000, now), { key: 'queue.wait.hours', n: 2, m: 15 });
  assert.deepEqual(waitText(now - 120 * 60_000, now), { key: 'queue.wait.hours0', n: 2, m: 0 });
  assert.deepEqual(waitText(now - 30 * 3_600_000, now), { key: 'queue.wait.day1', n: 1, m: 0 });
  assert.deepEqual(waitText(now - 5 * 86_400_000, now), { key: 'queue.wait.days', n: 5, m: 0 });
});

test('error codes: from an Error, an object with a code, a string; anything else is failed', () => {
  assert.equal(errorCode(new Error('others_writing')), 'others_writing');
  assert.equal(errorCode({ code: 'taken' }), 'taken');
  assert.equal(errorCode('no_reason'), 'no_reason');
  assert.equal(errorCode(new Error('Something broke: at line 3')), 'failed');
  assert.equal(errorCode(null), 'failed');
  assert.equal(errorCode(42), 'failed');
});

test('canned answers: the chosen language first, then fi, sv, en, each by title; inserted at the cursor', () => {
  const a = (answer: string, lang: CannedAnswer['lang'], title: string): CannedAnswer => ({ answer, unit: 'u', lang, title, text: title, updated: 0 });
  const list = [a('1', 'fi', 'Tervehdys'), a('2', 'en', 'Review'), a('3', 'sv', 'Hälsning'), a('4', 'fi', 'Oikaisu'), a('5', 'en', 'Greeting')];
  assert.deepEqual(orderCanned(list, 'en').map((x) => x.answer), ['5', '2', '4', '1', '3']);
  assert.deepEqual(orderCanned(list, 'sv').map((x) => x.answer), ['3', '4', '1', '5', '2']);
  assert.deepEqual(insertAt('Hello.  Bye', 7, 7, 'X'), { text: 'Hello. X Bye', cursor: 8 });
  assert.deepEqual(insertAt('abcdef', 1, 3, 'Z'), { text: 'aZdef', cursor: 2 }, 'a selection is replaced');
  assert.deepEqual(insertAt('abc', 10, 20, '!'), { text: 'abc!', cursor: 4 }, 'out of range clamps to the end');
});

test('reassign: a target and a reason are required', () => {
  assert.deepEqual(reassignProblems({ reason: '' }), ['target', 'reason']);
  assert.deepEqual(reassignProblems({ toUser: 'u', reason: '  ' }), ['reason']);
  assert.deepEqual(reassignProblems({ toCategory: 'c', reason: 'sick leave' }), []);
});

test('roster: a worker, a day and a start before the end; closed days today or later with a short note', () => {
  const s = { user: 'u', days: ['mon' as const], start: '08:00', end: '16:00', onHolidays: false };
  assert.deepEqual(shiftProblems(s), []);
  assert.deepEqual(shiftProblems({ ...s, user: '', days: [] }), ['user', 'days']);
  assert.deepEqual(shiftProblems({ ...s, start: '17:00' }), ['time']);
  assert.deepEqual(shiftProblems({ ...s, end: '08:00' }), ['time']);
  assert.deepEqual(shiftProblems({ ...s, start: '8:00' }), ['time']);
  assert.deepEqual(shiftProblems({ ...s, end: '24:00' }), ['time']);
  assert.deepEqual(closedDayProblems('2026-12-24', 'Jouluaatto', '2026-12-07'), []);
  assert.deepEqual(closedDayProblems('2026-12-07', '', '2026-12-07'), [], 'today is fine');
  assert.deepEqual(closedDayProblems('2026-12-06', '', '2026-12-07'), ['past']);
  assert.deepEqual(closedDayProblems('', '', '2026-12-07'), ['date']);
  assert.deepEqual(closedDayProblems('2026-13-45', '', '2026-12-07'), ['date']);
  assert.deepEqual(closedDayProblems('2026-12-24', 'x'.repeat(201), '2026-12-07'), ['note']);
});

test('Helsinki days: the date of a moment, and a day\'s start and end in winter and summer time', () => {
  assert.equal(helsinkiDate(Date.UTC(2026, 11, 6, 22, 30)), '2026-12-07', 'half past midnight in Helsinki');
  assert.equal(helsinkiDayStart('2026-12-07'), Date.UTC(2026, 11, 6, 22, 0));
  assert.equal(helsinkiDayStart('2026-12-07', true), Date.UTC(2026, 11, 7, 22, 0) - 1);
  assert.equal(helsinkiDayStart('2026-07-01'), Date.UTC(2026, 5, 30, 21, 0));
  assert.equal(helsinkiDayStart('not a day'), null);
  assert.equal(helsinkiDayStart(''), null);
});
