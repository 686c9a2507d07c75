/**
 * The Instant Inbox (seed 5.16, Appendix B §7; WSI-6/7/24/25/31): every message addressed to an
 * inbox account is kept, in arrival order, on a module-owned archive store until the web-service
 * consumer acknowledges it. The archive's ids are decimal integers increasing in append order and
 * never reused, so they are the inbox's monotonic sequence numbers and the GetMessages cursor.
 *
 * Per inbox, stores and acks run through one queue (KeyedSerial): the quota check and the append
 * are one step. Long-poll waiters (WSI-25: the consumer chooses the wait, the provider still never
 * calls the consumer, WSI-24) are woken after each store.
 */
import type { Element } from '@xmpp/xml';
import type { ArchiveStore } from '../../storage/types.js';
import { StanzaError } from '../../server/core/errors.js';
import { Jid } from '../../server/core/jid.js';
import { KeyedSerial } from '../../server/core/serial.js';

export interface InboxMessage { seq: number; when: number; from?: string; stanza: string }

export interface InboxDeps {
  archive: ArchiveStore<string>;
  maxPending: number;
  now?: () => number;
}

export interface Inbox {
  /** Keeps a message for `username`; resolves with its sequence number. resource-constraint when full. */
  store(username: string, stanza: Element): Promise<number>;
  /** Pending messages with seq > after, oldest first, at most `max` (all when absent). */
  list(username: string, opts?: { after?: number; max?: number }): Promise<InboxMessage[]>;
  /** Like list, but when nothing is pending waits up to `waitMs` for a message to arrive. */
  poll(username: string, opts: { after?: number; max?: number; waitMs: number }): Promise<InboxMessage[]>;
  /** Removes every message with seq <= upTo; resolves with how many. */
  ack(username: string, upTo: number): Promise<number>;
  count(username: string): Promise<number>;
  /** Wakes all long-poll waiters (shutdown). */
  close(): void;
}

export function createInbox(d: InboxDeps): Inbox {
  const queue = new KeyedSerial();
  const now = d.now ?? Date.now;
  const waiters = new Map<string, Set<() => void>>();
  const wake = (username: string) => {
    const set = waiters.get(username);
    if (!set) return;
    waiters.delete(username);
    for (const w of set) w();
  };

  const list = async (username: string, opts: { after?: number; max?: number } = {}): Promise<InboxMessage[]> => {
    const out: InboxMessage[] = [];
    const q: { after?: string; limit?: number } = {};
    if (opts.after !== undefined && opts.after > 0) q.after = String(opts.after);
    if (opts.max !== undefined) q.limit = opts.max;
    for await (const r of d.archive.find(username, q)) {
      const m: InboxMessage = { seq: Number(r.id), when: r.when, stanza: r.value };
      if (r.with) m.from = r.with;
      out.push(m);
    }
    return out;
  };

  return {
    store: (username, stanza) => queue.run(username, async () => {
      if ((await d.archive.count(username)) >= d.maxPending) throw new StanzaError('resource-constraint', 'the instant inbox is full');
      const item: { when: number; with?: string; value: string } = { when: now(), value: stanza.toString() };
      const from = Jid.tryParse(stanza.attrs.from);
      if (from) item.with = from.toString();
      const id = await d.archive.append(username, item);
      const seq = Number(id);
      if (!Number.isSafeInteger(seq)) throw new Error(`archive ids are not integers (${id})`);
      queueMicrotask(() => wake(username));
      return seq;
    }),
    list,
    async poll(username, opts) {
      const first = await list(username, opts);
      if (first.length > 0 || opts.waitMs <= 0) return first;
      await new Promise<void>((resolve) => {
        let set = waiters.get(username);
        if (!set) waiters.set(username, (set = new Set()));
        const done = () => { clearTimeout(t); set!.delete(done); resolve(); };
        const t = setTimeout(done, opts.waitMs);
        set.add(done);
      });
      return list(username, opts);
    },
    ack: (username, upTo) => queue.run(username, () => (upTo > 0 ? d.archive.delete(username, { before: String(upTo + 1) }) : Promise.resolve(0))),
    count: (username) => d.archive.count(username),
    close() { for (const u of [...waiters.keys()]) wake(u); },
  };
}
