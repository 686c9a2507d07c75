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
import { parseStored, stamped } from './stanza.js';

declare module '../../core/module.js' {
  interface Services { offline: OfflineService }
}

export interface OfflineService {
  /**
   * Stores a stamped copy of a message for later delivery. Throws StanzaError('resource-constraint')
   * when the user's queue is full, ('internal-server-error', type wait) when storage fails.
   */
  store(username: string, stanza: Element): Promise<void>;
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
}

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

  const store = (username: string, stanza: Element): Promise<void> => queue.run(username, async () => {
    let n: number;
    try {
      n = await countOf(username);
    } catch (err) {
      throw storageFailed('count', username, err);
    }
    if (n >= d.maxMessages) throw new StanzaError('resource-constraint', "the recipient's offline message queue is full");
    const when = now();
    const item: { when: number; with?: string; value: string } = { when, value: stamped(stanza, d.domain, when).toString() };
    const sender = Jid.tryParse(stanza.attrs.from);
    if (sender) item.with = sender.bareString;
    try {
      await d.archive.append(username, item);
    } catch (err) {
      throw storageFailed('append', username, err);
    }
    // Sessions that had the stored messages before this one must get it too before anything live.
    for (const s of d.sessions.sessionsOf(username)) s.state.delete(DELIVERED);
  });

  const flush = async (username: string, session: Session): Promise<void> => {
    if (!takesStored(session)) return;
    try {
      for (;;) {
        const batch: Array<{ id: string; value: string }> = [];
        for await (const r of d.archive.find(username, { limit: BATCH })) batch.push(r);
        if (batch.length === 0) break;
        for (const r of batch) {
          const el = parseStored(r.value);
          if (el) session.send(el);
          else d.log.warn({ user: username, id: r.id }, 'dropping an offline message that does not parse');
        }
        await flushed();
        // Gone before the batch was written out: keep it for the next session (a possible duplicate, never a loss).
        if (session.closed) return;
        await d.archive.delete(username, { ids: batch.map((r) => r.id) });
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
    }),
  };
}
