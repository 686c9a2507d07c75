/**
 * Offline messages (XEP-0160) on an archive store: stored with a delay stamp when the user has no
 * resource to take them, delivered to the resource that next sends non-negative available presence,
 * then deleted.
 *
 * Per user, every store, delivery and purge runs through one queue (KeyedSerial), so:
 * - two resources coming online together: the first delivery takes everything, the second finds
 *   nothing; nobody gets a message twice;
 * - a delivery never starts while a store is half done, and the quota check and the append are
 *   one step (so concurrent senders cannot overshoot the quota).
 *
 * Crash safety: a delivery reads a batch, hands it to the session, waits until the stream has
 * written it out, and only then deletes exactly those records. A crash before the delete means the
 * batch is delivered again at the next login: at-least-once. Without XEP-0198 acknowledgements the
 * server cannot know what the client received, so the only alternative, deleting first, would lose
 * messages instead; we choose possible duplicates after a crash over loss.
 *
 * Lifetime: each record's `when` is the moment it expires, not when it was stored (the delay stamp
 * inside says that): the earliest of the host's max_age, a XEP-0023 jabber:x:expire TTL and the
 * first XEP-0079 rule that would stop delivery. So the periodic sweep is one indexed range query
 * per user (`end: now`), and a delivery skips what has run out. A record stored forever gets
 * FOREVER. A changed max_age applies to messages stored from then on.
 *
 * Quotas: max_messages (counted afresh each time) and max_bytes of stored text, the latter kept
 * in memory per user once counted (a scan of the user's records), adjusted on every store and
 * delete, and reset whenever the count shows the queue empty (another process, the CLI deleting
 * an account, may have emptied it).
 *
 * Order: a session that can receive bare-JID messages but has not yet had the stored ones is
 * "owed" a delivery. While a user has queued work or an owed session, `whenSettled` returns a
 * promise (starting the owed deliveries itself), and the message module waits for it before
 * delivering live; so a message stored a moment ago is never overtaken by a later live one, even
 * when a live message arrives before the presence module has announced the initial presence.
 */
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import type { ArchiveStore } from '../../../storage/types.js';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import type { Session, SessionRegistry } from '../../core/sessions.js';
import { KeyedSerial } from '../../core/serial.js';
import type { Services } from '../../core/module.js';
import { expireDeadline, forDelivery, stamped, storedAt } from './stanza.js';
import { parseElement } from '../../core/stanza.js';

declare module '../../core/module.js' {
  interface Services { offline: OfflineService }
}

export interface OfflineService {
  /**
   * Stores a stamped copy of a message for later delivery. Throws StanzaError('resource-constraint')
   * when the user's queue is full, ('internal-server-error', type wait) when storage fails.
   * Resolves false when the message had already expired and was dropped instead.
   */
  store(username: string, stanza: Element): Promise<boolean>;
  /** Messages stored for the user. */
  count(username: string): Promise<number>;
  /**
   * undefined when a message delivered live to `username` now cannot overtake a stored one: no
   * store or delivery is under way for the user and every session that takes bare-JID messages has
   * had the stored ones. Otherwise a promise that settles when that may have become true: call
   * again, then decide synchronously.
   */
  whenSettled(username: string): Promise<void> | undefined;
}

export interface OfflineDeps {
  archive: ArchiveStore<string>;
  domain: string;
  maxMessages: number;
  /** Bytes of stored text per user (UTF-8). */
  maxBytes?: number;
  /** How long a message is kept; 0 or absent: until delivered. */
  maxAgeMs?: number;
  /** XEP-0079 rules, when the amp module is loaded. */
  amp?: () => Services['amp'] | undefined;
  sessions: SessionRegistry;
  log: Logger;
  now?: () => number;
  /**
   * Resolves once what was sent to sessions has left the process. Streams coalesce writes and
   * flush them with setImmediate, so one more setImmediate runs after that flush.
   */
  flushed?: () => Promise<void>;
}

export interface Offline extends OfflineService {
  /** Delivers everything stored to `session` (on its initial presence). Never rejects. */
  deliver(session: Session): Promise<void>;
  /** Deletes everything stored for the user (account deletion). */
  purge(username: string): Promise<void>;
  /** Deletes every user's expired messages, sending the AMP reports they ask for; returns how many. */
  sweep(): Promise<number>;
}

/** `when` of a record that never expires. */
export const FOREVER = Number.MAX_SAFE_INTEGER;

/** Records read, sent and deleted per round: bounds memory and the redelivery after a crash. */
const BATCH = 100;

/** Session state: this session has had the user's stored messages. Cleared when a new one is stored. */
const DELIVERED = Symbol('offline.delivered');

/** XEP-0160 §2: stored messages go to a resource that sent non-negative available presence. */
function takesStored(s: Session): boolean {
  return s.available && s.priority >= 0 && !s.closed;
}

export function createOffline(d: OfflineDeps): Offline {
  const queue = new KeyedSerial();
  const now = d.now ?? Date.now;
  const flushed = d.flushed ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));

  const storageFailed = (op: string, username: string, err: unknown): StanzaError => {
    d.log.error({ err, op, user: username }, 'offline storage failed');
    return new StanzaError('internal-server-error', undefined, 'wait');
  };

  // Counted afresh each time rather than cached: another process (the CLI deleting an account)
  // may change the store, and one indexed count per stored message is cheap.
  const countOf = (username: string): Promise<number> => d.archive.count(username);

  const bytes = new Map<string, number>();
  const size = (text: string) => Buffer.byteLength(text, 'utf8');
  const bytesOf = async (username: string, n: number): Promise<number> => {
    if (n === 0) bytes.set(username, 0);
    let b = bytes.get(username);
    if (b === undefined) {
      b = 0;
      for await (const r of d.archive.find(username)) b += size(r.value);
      bytes.set(username, b);
    }
    return b;
  };
  const forget = (username: string, freed: number) => {
    const b = bytes.get(username);
    if (b !== undefined) bytes.set(username, Math.max(0, b - freed));
  };

  /** When a stamped message stops being deliverable. */
  const expiry = (original: Element, copy: Element, when: number): number => {
    let at = d.maxAgeMs ? when + d.maxAgeMs : FOREVER;
    const ttl = expireDeadline(copy);
    if (ttl !== undefined) at = Math.min(at, ttl);
    const rule = d.amp?.()?.deadline(original);
    if (rule !== undefined) at = Math.min(at, rule);
    return at;
  };

  /**
   * A message that will not be delivered: an AMP rule that stops it gets its reports (XEP-0079
   * §3.4) when its time has come; a lifetime or TTL that ran out is silent (XEP-0023 §3).
   */
  const expire = (el: Element, at: number) => {
    const amp = d.amp?.();
    const rule = amp?.deadline(el);
    if (amp && rule !== undefined && rule <= at) amp.apply(el, at, storedAt(el, d.domain));
  };

  const store = (username: string, stanza: Element): Promise<boolean> => queue.run(username, async () => {
    let n: number;
    let b: number;
    try {
      n = await countOf(username);
      b = await bytesOf(username, n);
    } catch (err) {
      throw storageFailed('count', username, err);
    }
    if (n >= d.maxMessages) throw new StanzaError('resource-constraint', "the recipient's offline message queue is full");
    const when = now();
    const copy = stamped(stanza, d.domain, when);
    const value = copy.toString();
    if (d.maxBytes !== undefined && b + size(value) > d.maxBytes) throw new StanzaError('resource-constraint', "the recipient's offline message queue is full");
    const until = expiry(stanza, copy, when);
    if (until <= when) {
      expire(copy, when);
      return false;
    }
    const item: { when: number; with?: string; value: string } = { when: until, value };
    const sender = Jid.tryParse(stanza.attrs.from);
    if (sender) item.with = sender.bareString;
    try {
      await d.archive.append(username, item);
    } catch (err) {
      throw storageFailed('append', username, err);
    }
    bytes.set(username, b + size(value));
    // Sessions that had the stored messages before this one must get it too before anything live.
    for (const s of d.sessions.sessionsOf(username)) s.state.delete(DELIVERED);
    return true;
  });

  /** Deletes the user's expired records, reporting as their rules ask. */
  const sweepUser = async (username: string): Promise<number> => {
    let total = 0;
    for (;;) {
      const at = now();
      const batch: Array<{ id: string; value: string }> = [];
      for await (const r of d.archive.find(username, { end: at, limit: BATCH })) batch.push(r);
      if (batch.length === 0) break;
      for (const r of batch) {
        const el = parseElement(r.value);
        if (el) expire(el, at);
      }
      total += await d.archive.delete(username, { ids: batch.map((r) => r.id) });
      forget(username, batch.reduce((sum, r) => sum + size(r.value), 0));
      if (batch.length < BATCH) break;
    }
    return total;
  };

  const flush = async (username: string, session: Session): Promise<void> => {
    if (!takesStored(session)) return;
    try {
      for (;;) {
        const batch: Array<{ id: string; when: number; value: string }> = [];
        for await (const r of d.archive.find(username, { limit: BATCH })) batch.push(r);
        if (batch.length === 0) break;
        const at = now();
        for (const r of batch) {
          const el = parseElement(r.value);
          if (!el) {
            d.log.warn({ user: username, id: r.id }, 'dropping an offline message that does not parse');
            continue;
          }
          if (r.when <= at) {
            expire(el, at);
            continue;
          }
          // XEP-0079 §3.3.2: delivered now, so rules are met or not as of now.
          if (d.amp?.()?.apply(el, at, storedAt(el, d.domain)) === false) continue;
          const out = forDelivery(el, at);
          if (out) session.send(out);
        }
        await flushed();
        // Gone before the batch was written out: keep it for the next session (a possible duplicate, never a loss).
        if (session.closed) return;
        await d.archive.delete(username, { ids: batch.map((r) => r.id) });
        forget(username, batch.reduce((sum, r) => sum + size(r.value), 0));
        if (batch.length < BATCH) break;
      }
    } catch (err) {
      // What was not deleted is delivered again next time; marking the session anyway keeps a
      // failing store from being retried for every message that arrives.
      d.log.error({ err, user: username }, 'offline delivery failed');
    }
    session.state.set(DELIVERED, true);
  };

  const deliver = (session: Session): Promise<void> => {
    const username = session.username;
    if (!username) return Promise.resolve();
    return queue.run(username, () => flush(username, session)).catch((err: unknown) => {
      d.log.error({ err, user: username }, 'offline delivery failed');
    });
  };

  return {
    store,
    deliver,

    count: (username) => queue.run(username, async () => {
      try {
        return await countOf(username);
      } catch (err) {
        throw storageFailed('count', username, err);
      }
    }),

    whenSettled(username) {
      const busy = queue.busy(username);
      if (busy) return busy;
      const owed = d.sessions.availableOf(username).filter((s) => takesStored(s) && !s.state.has(DELIVERED));
      if (owed.length === 0) return undefined;
      // The presence module will ask for this too; asking first keeps a live message from overtaking.
      owed.sort((a, b) => b.priority - a.priority);
      for (const s of owed) void deliver(s);
      return queue.busy(username);
    },

    purge: (username) => queue.run(username, async () => {
      await d.archive.delete(username);
      bytes.delete(username);
    }),

    async sweep() {
      let total = 0;
      const users: string[] = [];
      for await (const u of d.archive.users()) users.push(u);
      for (const u of users) {
        try {
          total += await queue.run(u, () => sweepUser(u));
        } catch (err) {
          d.log.error({ err, user: u }, 'offline sweep failed');
        }
      }
      return total;
    },
  };
}
