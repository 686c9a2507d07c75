/**
 * Block lists on a keyval store (one array of prepared JIDs per user), with a bounded cache of
 * recently used lists: every inbound and outbound stanza of a user consults it. Writes are
 * serialised per user, and the cache is replaced only after the store has the new list, so a
 * stanza is never let through or refused by a list the store does not hold.
 */
import type { KeyValueStore } from '../../../storage/types.js';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import { KeyedSerial } from '../../core/serial.js';
import type { Logger } from 'pino';

export interface BlockLists {
  /** The user's list (cached); the same array until it changes. */
  get(username: string): Jid[] | Promise<Jid[]>;
  /** Applies `fn` to the current list and stores the result; resolves with both. */
  update(username: string, fn: (current: Jid[]) => Jid[]): Promise<{ before: Jid[]; after: Jid[] }>;
  forget(username: string): Promise<void>;
}

export function createBlockLists(store: KeyValueStore<string[]>, maxCached: number, maxItems: number, log: Logger): BlockLists {
  const cache = new Map<string, Jid[]>();
  const serial = new KeyedSerial();
  const remember = (username: string, list: Jid[]) => {
    cache.delete(username);
    cache.set(username, list);
    if (cache.size > maxCached) cache.delete(cache.keys().next().value as string);
  };
  const failed = (err: unknown, username: string): StanzaError => {
    log.error({ err, user: username }, 'block list storage failed');
    return new StanzaError('internal-server-error', undefined, 'wait');
  };
  const load = async (username: string): Promise<Jid[]> => {
    let raw: string[] | undefined;
    try {
      raw = await store.get(username);
    } catch (err) {
      throw failed(err, username);
    }
    const list = (raw ?? []).map((s) => Jid.tryParse(s)).filter((j): j is Jid => j !== undefined);
    remember(username, list);
    return list;
  };
  return {
    get(username) {
      const hit = cache.get(username);
      if (hit) {
        // Least recently used goes first when the cache is full.
        cache.delete(username);
        cache.set(username, hit);
        return hit;
      }
      return load(username);
    },
    update: (username, fn) => serial.run(username, async () => {
      const before = cache.get(username) ?? await load(username);
      const after = fn(before);
      if (after.length > maxItems) throw new StanzaError('resource-constraint', `at most ${maxItems} blocked JIDs`);
      try {
        await store.set(username, after.length ? after.map(String) : undefined);
      } catch (err) {
        throw failed(err, username);
      }
      remember(username, after);
      return { before, after };
    }),
    forget: (username) => serial.run(username, async () => {
      cache.delete(username);
      await store.set(username, undefined);
    }),
  };
}
