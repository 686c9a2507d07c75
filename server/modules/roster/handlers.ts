/**
 * Roster get and set (RFC 6121 §2.2–§2.5) with versioning (§2.6).
 */
import type { Logger } from 'pino';
import { StanzaError } from '../../core/errors.js';
import type { IqRequest } from '../../core/iq.js';
import type { Element } from '../../core/stanza.js';
import { itemElement, parseRosterSet, queryElement, type RosterLimits } from './codec.js';
import type { Roster, RosterItem } from './service.js';

export interface RosterOptions extends RosterLimits {
  maxItems: number;
}

/** Storage failures are worth a retry, unlike the internal-server-error a bare throw becomes. */
async function storage<T>(log: Logger, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StanzaError) throw err;
    log.error({ err }, what);
    throw new StanzaError('internal-server-error', undefined, 'wait');
  }
}

/**
 * §2.6.3: a client that names the current version gets an empty result (pushes bring it up to
 * date from there). Any other version gets the whole roster: we keep no history of changes, and
 * the RFC lets a server answer with the full roster whenever it cannot or will not send deltas.
 */
export async function rosterGet(roster: Roster, req: IqRequest, log: Logger): Promise<Element | true> {
  // §2.1.6: requesting the roster makes a resource "interested" in pushes.
  if (req.origin) req.origin.rosterInterested = true;
  const { ver, items } = await storage(log, 'roster read failed', () => roster.snapshot(req.from.local));
  const known = req.payload.attrs.ver as string | undefined;
  if (known !== undefined && known === ver) return true;
  return queryElement(ver, [...items.values()].map(itemElement));
}

export async function rosterSet(roster: Roster, req: IqRequest, opts: RosterOptions, log: Logger): Promise<true> {
  const set = parseRosterSet(req.payload, opts);
  const username = req.from.local;
  if (set.remove) {
    const removed = await storage(log, 'roster remove failed', () => roster.remove(username, set.jid));
    // §2.5.3
    if (!removed) throw new StanzaError('item-not-found');
    return true;
  }
  await storage(log, 'roster write failed', () => roster.modify(username, set.jid, (current, size) => {
    if (!current && size >= opts.maxItems) throw new StanzaError('not-allowed', 'the roster is full');
    // Only name and groups are the client's to set; the subscription state comes from presence.
    const next: RosterItem = { jid: set.jid, groups: set.groups, subscription: current?.subscription ?? 'none' };
    if (set.name !== undefined) next.name = set.name;
    if (current?.ask) next.ask = current.ask;
    if (current?.approved) next.approved = true;
    return next;
  }));
  return true;
}

/** §2.3.3: nobody else may read or change a user's roster. */
export function notYours(): never {
  throw new StanzaError('forbidden');
}
