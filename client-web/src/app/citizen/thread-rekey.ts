// thread-rekey.ts - the citizen's client re-keys a thread before it writes (PROTOCOL.md §12.6,
// CRYPTO-FORMATS.md "Thread epoch event"): when the thread's current key epoch is not sealed to
// its unit's current key generation (a member left and the unit key was rotated), a fresh
// thread key starts epoch current + 1, named by an epoch event signed by this device (reason 1,
// following the current epoch's event, naming the unit's current generation and the citizen's
// identity) and wrapped to each of them by this device; thread.rekey stores it all or nothing.
// Someone else's re-key meanwhile (conflict on /event) is followed: the keys are read again and
// their epoch is written at when it is sealed to the unit's current generation.
import type { Keys } from '../../crypto/index';
import type { Connection } from '../net';
import type { ThreadSession } from './thread-view-session';
import { b64, type Crypto, ThreadsError } from './threads-util';
import type { UnitKey } from './unit-keys';

const WRAP_THREAD_KEY = 1;
const REASON_UNIT_ROTATED = 1;
/** How many epochs one write may start (a second when another writer's epoch is stale too). */
const MAX_REKEYS = 2;

export interface RekeyContext {
  conn: Connection;
  c: Crypto;
  /**
   * The citizen's identity (the recipient of its thread-key wraps: only its public key is used)
   * and this device (the signer; for staff, the worker's certified keys).
   */
  identity: { boxPk: Uint8Array };
  device: Keys;
  now: () => number;
}

/** A new epoch of a thread, ready for thread.rekey. */
export interface NewEpoch {
  epoch: number;
  key: Uint8Array;
  event: Uint8Array;
  wraps: Uint8Array[];
}

function codeOf(e: unknown): string {
  return (e as { code?: unknown }).code !== undefined ? String((e as { code?: unknown }).code) : 'error';
}

/**
 * Throws a ThreadsError unless this device may write at the thread's current epoch:
 * 'stale_epoch' (the epoch events served do not verify, or do not reach the epoch served),
 * 'locked' (no key of the current epoch opens), 'rekey_needed' (the epoch is not sealed to the
 * unit's current generation: at epoch 0, the generation was made after the thread was opened).
 */
export function writableCheck(c: Crypto, s: ThreadSession, unit: UnitKey): void {
  const epoch = s.keyring.epoch;
  const events = s.keyring.epochEvents();
  if (events === null) throw new ThreadsError('stale_epoch', "the thread's key epochs do not verify");
  if (s.keyring.threadKey(epoch) === null) throw new ThreadsError('locked', 'no key of the current epoch opens');
  if (epoch === 0) {
    if (unit.createdAt > s.created) throw new ThreadsError('rekey_needed', 'the unit has a newer key generation');
    return;
  }
  try {
    c.epochWritable(epoch, epoch, events[epoch - 1].recipients, unit.kid);
  } catch {
    throw new ThreadsError('rekey_needed', "the thread must be re-keyed to the unit's current key generation");
  }
}

/**
 * Pure: epoch `current + 1` of a thread whose verified chain ends with hash `head` (zeros at
 * epoch 0): a fresh key, its event signed by `device` at `createdAt` (ms) naming the unit's
 * generation and the identity, and the key wrapped to each, signed by `device`.
 */
export function newEpoch(c: Crypto, threadId: Uint8Array, current: number, head: Uint8Array, unit: { boxPk: Uint8Array; kid: Uint8Array },
  identity: { boxPk: Uint8Array }, device: Keys, createdAt: number, reason: number = REASON_UNIT_ROTATED): NewEpoch {
  const epoch = current + 1, key = c.random(32);
  const event = c.epochEventSign({ threadId, epoch, prevEpoch: current, prevHash: head, reason,
    createdAt: BigInt(createdAt), recipients: [unit.kid, c.kid(identity.boxPk)] }, device);
  const wraps = [unit.boxPk, identity.boxPk].map((pk) =>
    c.wrapSeal(WRAP_THREAD_KEY, threadId, epoch, pk, key, c.random(32), device));
  return { epoch, key, event, wraps };
}

/**
 * Starts the thread's next epoch with thread.rekey, then reads its keys again. Resolves with
 * 'started', or 'followed' when the server had another epoch already (conflict on /event: the
 * keys now show it). Other refusals reject as the server gave them.
 */
export async function rekeyThread(ctx: RekeyContext, s: ThreadSession, unit: UnitKey): Promise<'started' | 'followed'> {
  const chain = s.keyring.epochChain();
  if (!chain.intact) throw new ThreadsError('stale_epoch', "the thread's key epochs do not verify");
  const next = newEpoch(ctx.c, s.threadId, s.keyring.epoch, chain.head, unit, ctx.identity, ctx.device, ctx.now());
  let result: 'started' | 'followed' = 'started';
  try {
    await ctx.conn.request('thread.rekey', { thread: s.thread, event: b64(ctx.c, next.event),
      wraps: next.wraps.map((w) => b64(ctx.c, w)) });
  } catch (e) {
    if (codeOf(e) !== 'conflict' || (e as { field?: string }).field !== '/event') throw e;
    result = 'followed';
  } finally {
    ctx.c.wipe(next.key);
  }
  await s.refreshKeys();
  return result;
}

/**
 * Makes the thread writable for this device at its current epoch, re-keying it when needed:
 * checks; on 'rekey_needed' reads the keys again (someone may have re-keyed already), then
 * starts a new epoch (at most MAX_REKEYS times), following another writer's epoch on a
 * conflict. Rejects with the last check's ThreadsError, or a refusal of thread.rekey.
 */
export async function ensureWritable(ctx: RekeyContext, s: ThreadSession, unit: UnitKey): Promise<void> {
  for (let step = 0; ; step++) {
    try {
      writableCheck(ctx.c, s, unit);
      return;
    } catch (e) {
      if (!(e instanceof ThreadsError) || e.code !== 'rekey_needed' || step > MAX_REKEYS) throw e;
    }
    if (step === 0) await s.refreshKeys();
    else await rekeyThread(ctx, s, unit);
  }
}
