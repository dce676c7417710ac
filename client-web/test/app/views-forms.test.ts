// views-forms.test.ts - the citizen views' rules (src/app/views/citizen/forms.ts): a message's
// text, the notification contact's checks and the phone number's form, attachment names and
// which files get an image preview; the conflicts the thread layer answers itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  downloadName, handledConflict, MAX_TEXT_CHARS, mediaKind, normalPhone, notifyProblems, previewType, textProblem,
} from '../../src/app/views/citizen/forms';

test('a message needs text, within the limit counted in characters', () => {
  assert.equal(textProblem(''), 'empty');
  assert.equal(textProblem('  \n\t '), 'empty');
  assert.equal(textProblem('Hei'), null);
  assert.equal(textProblem('ä'.repeat(MAX_TEXT_CHARS)), null);
  assert.equal(textProblem('ä'.repeat(MAX_TEXT_CHARS + 1)), 'too_long');
  // A character outside the BMP counts once.
  assert.equal(textProblem('😀'.repeat(MAX_TEXT_CHARS)), null);
});

test('a notification contact: e-mail and/or phone, each checked', () => {
  assert.deepEqual(notifyProblems({ email: '', phone: '' }), ['none']);
  assert.deepEqual(notifyProblems({ email: '  ', phone: ' ' }), ['none']);
  assert.deepEqual(notifyProblems({ email: 'nimi@esimerkki.fi', phone: '' }), []);
  assert.deepEqual(notifyProblems({ email: '', phone: '040 123 4567' }), []);
  assert.deepEqual(notifyProblems({ email: 'nimi@esimerkki.fi', phone: '+358401234567' }), []);
  assert.deepEqual(notifyProblems({ email: 'nimi', phone: '' }), ['email']);
  assert.deepEqual(notifyProblems({ email: 'a b@c.fi', phone: '12' }), ['email', 'phone']);
});

test('phone numbers take the protocol\'s form: + and 7..15 digits', () => {
  assert.equal(normalPhone('040 123 4567'), '+358401234567');
  assert.equal(normalPhone('+358 40-123 4567'), '+358401234567');
  assert.equal(normalPhone('+46 70 123 45 67'), '+46701234567');
  assert.equal(normalPhone('+123456'), null); // 6 digits
  assert.equal(normalPhone('+1234567890123456'), null); // 16 digits
  assert.equal(normalPhone('0401234567x'), null);
  assert.equal(normalPhone('12345678'), null); // no + and no leading 0
  assert.equal(normalPhone(''), null);
});

test('attachments: names by kind, previews only for JPEG and PNG', () => {
  assert.equal(downloadName('liite', 0, 1), 'liite-1.pdf');
  assert.equal(downloadName('attachment', 2, 3), 'attachment-3.png');
  assert.equal(downloadName('bilaga', 0, 99), 'bilaga-1');
  assert.equal(mediaKind(2), 'files.kind.image');
  assert.equal(mediaKind(99), 'files.kind.other');
  assert.equal(previewType(2), 'image/jpeg');
  assert.equal(previewType(3), 'image/png');
  assert.equal(previewType(4), null); // HEIC: browsers cannot show it
  assert.equal(previewType(undefined), null);
});

test('a conflict over the key epoch is answered by the thread layer; other refusals show as failed writes', () => {
  assert.equal(handledConflict('thread.rekey', 'conflict', '/event'), true);
  assert.equal(handledConflict('message.send', 'conflict', '/body'), true);
  assert.equal(handledConflict('thread.rekey', 'forbidden', '/event'), false);
  assert.equal(handledConflict('thread.rekey', 'conflict', undefined), false);
  assert.equal(handledConflict('message.send', 'conflict', undefined), false);
  assert.equal(handledConflict('thread.open', 'conflict', '/body'), false);
});
