/**
 * Presence broadcast and delivery (RFC 6121 §4): initial presence §4.2, probes §4.3, subsequent
 * presence §4.4, unavailable §4.5, directed presence §4.6, and inbound delivery §8.5.2–§8.5.3.
 *
 * Hot path: nothing here writes to storage; the roster comes from the roster module's cache and
 * the last presence of each resource lives on its session.
 */
import type { Logger } from 'pino';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import type { Session, SessionRegistry } from '../../core/sessions.js';
import { type Element, withAttrs, xml } from '../../core/stanza.js';
import type { PendingRequests } from './pending.js';
import { NS_DELAY, type RosterService } from './types.js';

export interface PresenceDeps {
  host: string;
  roster: RosterService;
  pending: PendingRequests;
  sessions: SessionRegistry;
  route(stanza: Element): void | Promise<void>;
  /** Tells other modules (offline delivery) that a session became available. */
  initialPresence(session: Session): Promise<void>;
  /** Entities one session may have sent directed presence to (memory bound per session). */
  maxDirected: number;
  log: Logger;
}

/** Per session: JIDs that got directed presence from it and must hear when it goes (§4.6.3). */
const DIRECTED = Symbol('presence.directed');

const subscribedFrom = (s: string): boolean => s === 'from' || s === 'both';
const subscribedTo = (s: string): boolean => s === 'to' || s === 'both';

/** §4.7.2.3: an integer from -128 to 127; absent means 0. */
export function parsePriority(stanza: Element): number {
  const raw = stanza.getChildText('priority');
  if (raw === null) return 0;
  const text = raw.trim();
  const n = /^[+-]?\d{1,4}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < -128 || n > 127) throw new StanzaError('bad-request', 'priority must be an integer from -128 to 127');
  return n;
}

async function quietly(log: Logger, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    log.error({ err }, what);
  }
}

/** Available presence with no 'to' (§4.2 initial, §4.4 subsequent). */
export async function broadcastAvailable(d: PresenceDeps, session: Session, stanza: Element): Promise<void> {
  const jid = session.jid!;
  const full = jid.toString();
  const priority = parsePriority(stanza);
  const p = withAttrs(stanza, { from: full, to: undefined });
  const initial = !session.available;
  // Set before anything is sent: probe answers come back to the bare JID and must reach this resource.
  session.available = true;
  session.priority = priority;
  session.presence = p;

  const items = await d.roster.items(jid.local);
  const sends: Array<void | Promise<void>> = [];
  for (const item of items.values()) {
    if (subscribedFrom(item.subscription) && item.jid !== jid.bareString) sends.push(d.route(withAttrs(p, { to: item.jid })));
  }
  await Promise.all(sends);
  // An entity is implicitly subscribed to its own presence, the sending resource included (§4.2.2, §4.4.2).
  for (const s of d.sessions.availableOf(jid.local)) {
    if (s.jid && !s.closed) s.send(withAttrs(p, { to: s.jid.toString() }));
  }
  if (!initial) return;

  for (const s of d.sessions.availableOf(jid.local)) {
    if (s !== session && s.presence && s.jid && s.jid.toString() !== full) session.send(withAttrs(s.presence, { to: full }));
  }
  // §4.3.1: probes go from the bare JID; the answers are delivered to every available resource.
  for (const item of items.values()) {
    if (subscribedTo(item.subscription) && item.jid !== jid.bareString) {
      sends.push(d.route(xml('presence', { type: 'probe', from: jid.bareString, to: item.jid })));
    }
  }
  await Promise.all(sends);
  // §3.1.3: requests that waited for the user are delivered now, and at every login until answered.
  await quietly(d.log, 'delivering stored subscription requests failed', async () => {
    for (const r of await d.pending.all(jid.local)) {
      const copy = withAttrs(r.stanza, {});
      copy.append(xml('delay', { xmlns: NS_DELAY, from: d.host, stamp: new Date(r.when).toISOString() }));
      session.send(copy);
    }
  });
  await d.initialPresence(session);
}

/**
 * Unavailable presence, sent by the client or made up when its session ends (§4.5): to the
 * subscribers and other resources if the session was available, and in any case to whoever got
 * directed presence from it (§4.6.3).
 */
export async function broadcastUnavailable(d: PresenceDeps, session: Session, stanza: Element): Promise<void> {
  const jid = session.jid!;
  const full = jid.toString();
  const p = withAttrs(stanza, { from: full, to: undefined });
  const wasAvailable = session.available;
  session.available = false;
  session.presence = undefined;
  const directed = session.state.get(DIRECTED) as Set<string> | undefined;
  session.state.delete(DIRECTED);

  const told = new Set<string>();
  const sends: Array<void | Promise<void>> = [];
  if (wasAvailable) {
    let items: ReadonlyMap<string, { jid: string; subscription: string }> = new Map();
    try {
      items = await d.roster.items(jid.local);
    } catch (err) {
      d.log.error({ err }, 'roster read failed; unavailable presence reaches only directed recipients');
    }
    for (const item of items.values()) {
      if (subscribedFrom(item.subscription) && item.jid !== jid.bareString) {
        told.add(item.jid);
        sends.push(d.route(withAttrs(p, { to: item.jid })));
      }
    }
    for (const s of d.sessions.availableOf(jid.local)) {
      // A session replaced by a new one with the same resource must not mark that one gone.
      if (s !== session && s.jid && s.jid.toString() !== full) s.send(withAttrs(p, { to: s.jid.toString() }));
    }
  }
  for (const target of directed ?? []) {
    const bare = Jid.tryParse(target)?.bareString;
    if (!bare || bare === jid.bareString || told.has(bare)) continue;
    sends.push(d.route(withAttrs(p, { to: target })));
  }
  await Promise.all(sends);
}

/**
 * Directed presence from a client (§4.6.2): the router delivers it; what is remembered here is
 * whom to tell when the session goes unavailable.
 */
export function noteDirected(d: PresenceDeps, session: Session, to: Jid, type: string | undefined): void {
  const self = session.jid;
  if (!self || to.bareString === self.bareString) return;
  const key = to.toString();
  let set = session.state.get(DIRECTED) as Set<string> | undefined;
  if (type === 'unavailable') {
    set?.delete(key);
    return;
  }
  if (!set) {
    set = new Set();
    session.state.set(DIRECTED, set);
  }
  if (set.size < d.maxDirected) set.add(key);
}

/**
 * §8.5.2.1.1: presence for a bare JID goes to every available resource; §8.5.2.2: with none, it
 * is dropped. §8.5.3: for a full JID, to that resource if it is connected, else dropped.
 */
export function deliverInbound(d: PresenceDeps, to: Jid, stanza: Element): void {
  if (to.resource) {
    const s = d.sessions.byFull(to);
    if (s && !s.closed) s.send(stanza);
    return;
  }
  for (const s of d.sessions.availableOf(to.local)) s.send(stanza);
}

/**
 * §4.3.2: a probe from `from` for the local user `to`. Only a subscriber (or the user itself)
 * learns anything; anyone else gets "unsubscribed", which corrects a prober that wrongly believes
 * it is subscribed (and, as the RFC requires, leaves a pre-approval alone: that is on our side).
 * With no resource available we keep no last unavailable presence (no storage on the hot path),
 * so the answer is a plain unavailable from the bare JID.
 */
export async function answerProbe(d: PresenceDeps, to: Jid, from: Jid): Promise<void> {
  const contact = to.bareString;
  const prober = from.bareString;
  let allowed = prober === contact;
  if (!allowed) {
    const item = await d.roster.item(to.local, prober);
    allowed = item !== undefined && subscribedFrom(item.subscription);
  }
  if (!allowed) {
    await d.route(xml('presence', { type: 'unsubscribed', from: contact, to: prober }));
    return;
  }
  const replyTo = from.toString();
  const available = d.sessions.availableOf(to.local).filter((s) => s.presence);
  if (available.length === 0) {
    await d.route(xml('presence', { type: 'unavailable', from: contact, to: replyTo }));
    return;
  }
  await Promise.all(available.map((s) => d.route(withAttrs(s.presence!, { to: replyTo }))));
}
