/**
 * One room of the MUC service (XEP-0045): occupants, roles (§5.1), affiliations (§5.2), presence
 * broadcast, message fan-out and discussion history. Entering (§7.2), nickname changes (§7.6),
 * presence updates (§7.7), exiting (§7.14), groupchat messages (§7.4), private messages (§7.5),
 * subject (§8.1), role and affiliation changes with their presence (§8.2-§8.5, §9, §10.3-§10.7)
 * and destruction (§10.9). Everything a room option decides goes through the room events.
 */
import xml, { type Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import { StanzaError } from '../../core/errors.js';
import { HANDLED } from '../../core/events.js';
import { Jid } from '../../core/jid.js';
import { errorReply, newId, withAttrs } from '../../core/stanza.js';
import type { RoomEvents } from './events.js';
import { decorateError, NickConflict, suggestNicks } from './ext/nicks.js';
import { selectHistory, type HistoryItem } from './history.js';
import { type Affiliation, affRank, NS_DELAY, NS_MUC, NS_SID, NS_USER, type Role, Status } from './ns.js';
import type { RoomConfig } from './options/option.js';

export interface Limits {
  maxOccupants: number;
  maxHistory: number;
  maxMessageBytes: number;
  /** Messages per second an occupant may send on average, and the burst above it. */
  rate: number;
  burst: number;
}

/** What a room needs from its service. */
export interface RoomHost {
  readonly events: RoomEvents;
  readonly limits: Limits;
  readonly log: Logger;
  route(stanza: Element): void;
  /** Stores the room if it is persistent (or removes it from storage if it no longer is). */
  save(room: Room): void;
  /** The room is gone: drop it from the service (and from storage). */
  forget(room: Room): void;
  /**
   * Archives a groupchat message about to be broadcast (XEP-0313 §5.1.2) and resolves to its
   * archive id, or undefined when the room keeps no archive; the message waits for the id so
   * that the live copies carry the same stanza-id (XEP-0359) as the archive.
   */
  archive?(room: Room, occupant: Occupant, stanza: Element): Promise<string | undefined> | undefined;
}

export interface AffiliationRecord { affiliation: Exclude<Affiliation, 'none'>; nick?: string; reason?: string }

export interface Occupant {
  nick: string;
  bare: Jid;
  role: Role;
  /** Full JIDs of the occupant's sessions (§7.2: several resources may share a nick), with their last presence. */
  sessions: Map<string, Element>;
  /** Token bucket for the per-occupant message rate. */
  tokens: number;
  refilled: number;
}

export interface RemoveOptions { codes?: string[]; actor?: Occupant; reason?: string; destroy?: Element; affiliation?: Affiliation }

export interface PersistedRoom {
  config: RoomConfig;
  affiliations: Array<[string, AffiliationRecord]>;
  subject?: { text: string; nick: string };
}

export class Room {
  readonly occupants = new Map<string, Occupant>();
  private readonly bySession = new Map<string, Occupant>();
  readonly affiliations = new Map<string, AffiliationRecord>();
  readonly history: HistoryItem[] = [];
  /** Invitations not yet answered, `inviteeBare|inviterFull` (a decline goes only to an inviter, §7.8.2). */
  readonly pendingInvites = new Set<string>();
  subject?: { text: string; nick: string };
  /** A new room waits for its owner's configuration (§10.1.1); nobody else may enter. */
  locked = false;
  destroyed = false;
  /** Groupchat messages waiting for their archive id, in order (broadcastMessage). */
  private outbox: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(readonly jid: Jid, public config: RoomConfig, private readonly host: RoomHost) {}

  get events(): RoomEvents { return this.host.events; }
  save(): void { this.host.save(this); }
  get occupantCount(): number { return this.occupants.size; }
  occupant(nick: string): Occupant | undefined { return this.occupants.get(nick); }
  occupantBySession(full: string): Occupant | undefined { return this.bySession.get(full); }
  occupantList(): Occupant[] { return [...this.occupants.values()]; }
  occupantJid(o: Occupant): string { return `${this.jid.bareString}/${o.nick}`; }

  affiliation(jid: Jid | string): Affiliation {
    const bare = typeof jid === 'string' ? jid : jid.bareString;
    return this.affiliations.get(bare)?.affiliation ?? 'none';
  }

  owners(): string[] { return [...this.affiliations].filter(([, r]) => r.affiliation === 'owner').map(([j]) => j); }

  /** Records an affiliation and updates the presence of the affected occupant (§9, §10). */
  setAffiliation(jid: Jid, affiliation: Affiliation, opts: { actor?: Occupant; reason?: string } = {}): void {
    const bare = jid.bareString;
    if (affiliation === 'none') this.affiliations.delete(bare);
    else this.affiliations.set(bare, { affiliation, ...(opts.reason ? { reason: opts.reason } : {}) });
    for (const o of this.occupantList()) {
      if (o.bare.bareString !== bare) continue;
      if (affiliation === 'outcast') {
        this.removeOccupant(o, { codes: [Status.Banned], actor: opts.actor, reason: opts.reason, affiliation: 'outcast' });
      } else if (affiliation === 'none' && this.config.membersOnly) {
        this.removeOccupant(o, { codes: [Status.AffiliationRemoved], actor: opts.actor, reason: opts.reason });
      } else {
        o.role = this.roleFor(affiliation, o.role);
        this.broadcastPresence(o, { actor: opts.actor, reason: opts.reason });
      }
    }
    this.host.save(this);
  }

  /** The role that goes with a new affiliation (§5.1.2: owners and admins are moderators). */
  private roleFor(aff: Affiliation, current: Role): Role {
    if (affRank(aff) >= affRank('admin')) return 'moderator';
    if (current === 'moderator') return 'participant';
    if (this.config.moderated && aff === 'member' && current === 'visitor') return 'participant';
    return current;
  }

  setRole(o: Occupant, role: Role, actor?: Occupant, reason?: string): void {
    if (role === 'none') {
      this.removeOccupant(o, { codes: [Status.Kicked], actor, reason });
      return;
    }
    o.role = role;
    this.broadcastPresence(o, { actor, reason });
  }

  canSeeRealJid(viewer: Occupant | undefined): boolean {
    return this.config.whois === 'anyone' || viewer?.role === 'moderator';
  }

  // ---- stanzas out ----

  /** Sends a stanza on behalf of an occupant (or the room), after the room/outgoing decoration. */
  private emit(stanza: Element, to: string, occupant?: Occupant): void {
    this.events.fire('room/outgoing', { room: this, occupant, stanza, to: Jid.parse(to) });
    this.host.route(stanza);
  }

  /** A stanza from the room itself (invitations, forms), with no decoration. */
  sendRaw(stanza: Element): void { this.host.route(stanza); }

  private userX(o: Occupant, viewer: Occupant | undefined, codes: readonly string[], extra: { actor?: Occupant; reason?: string; nick?: string; affiliation?: Affiliation; role?: Role; destroy?: Element }): Element {
    const attrs: Record<string, string> = { affiliation: extra.affiliation ?? this.affiliation(o.bare), role: extra.role ?? o.role };
    if (this.canSeeRealJid(viewer)) attrs.jid = o.sessions.keys().next().value ?? o.bare.toString();
    if (extra.nick) attrs.nick = extra.nick;
    const item = xml('item', attrs);
    if (extra.actor) item.append(xml('actor', { nick: extra.actor.nick }));
    if (extra.reason) item.append(xml('reason', {}, extra.reason));
    const x = xml('x', { xmlns: NS_USER }, item);
    if (extra.destroy) x.append(extra.destroy);
    for (const c of codes) x.append(xml('status', { code: c }));
    return x;
  }

  /** The occupant's presence as one viewer session sees it. */
  private presenceOf(o: Occupant, viewer: Occupant, to: string, opts: { unavailable?: boolean; codes?: string[]; selfCodes?: string[]; actor?: Occupant; reason?: string; nick?: string; affiliation?: Affiliation; role?: Role; destroy?: Element }): Element {
    const attrs: Record<string, string> = { from: this.occupantJid(o), to };
    if (opts.unavailable) attrs.type = 'unavailable';
    const p = xml('presence', attrs);
    if (!opts.unavailable) {
      const last = o.sessions.values().next().value as Element | undefined;
      for (const c of last?.children ?? []) {
        if (typeof c === 'string') continue;
        if (c.name === 'x' && (c.attrs.xmlns === NS_MUC || c.attrs.xmlns === NS_USER)) continue;
        p.append(c);
      }
    }
    const codes = [...(viewer === o ? [Status.Self, ...(opts.selfCodes ?? [])] : []), ...(opts.codes ?? [])];
    p.append(this.userX(o, viewer, codes, opts));
    return p;
  }

  /** Sends an occupant's current (or unavailable) presence to every occupant, itself included. */
  broadcastPresence(o: Occupant, opts: { unavailable?: boolean; codes?: string[]; selfCodes?: string[]; actor?: Occupant; reason?: string; nick?: string; affiliation?: Affiliation; role?: Role; destroy?: Element; skip?: Occupant } = {}): void {
    for (const viewer of this.occupants.values()) {
      if (viewer === opts.skip) continue;
      for (const to of viewer.sessions.keys()) this.emit(this.presenceOf(o, viewer, to, opts), to, o);
    }
  }

  // ---- presence in ----

  handlePresence(stanza: Element, from: Jid, nick: string): void {
    const me = this.bySession.get(from.toString());
    if (stanza.attrs.type === 'unavailable') {
      if (me) this.leave(me, from.toString(), stanza);
      return;
    }
    if (stanza.attrs.type === 'error') {
      // §7.2 (implementation note): a delivery error means the occupant is gone.
      if (me) this.leave(me, from.toString());
      return;
    }
    if (stanza.attrs.type !== undefined) return; // subscriptions to a room mean nothing
    if (me && me.nick === nick) {
      me.sessions.set(from.toString(), stanza);
      this.broadcastPresence(me); // §7.7
      return;
    }
    if (me) {
      this.changeNick(me, from, nick, stanza);
      return;
    }
    this.join(stanza, from, nick);
  }

  private validNick(nick: string): boolean {
    return nick.trim().length > 0;
  }

  /** §7.2: entering the room, or creating it (§10.1) when the service just made it. */
  join(stanza: Element, from: Jid, nick: string, created = false): void {
    const x = stanza.getChild('x', NS_MUC);
    const aff = this.affiliation(from);
    if (!this.validNick(nick)) throw new StanzaError('jid-malformed', 'a roomnick needs a visible character');
    if (this.locked && aff !== 'owner') throw new StanzaError('item-not-found', 'this room is being created'); // §10.1.1
    if (aff === 'outcast') throw new StanzaError('forbidden', 'you are banned from this room', 'auth'); // §7.2.8
    const taken = this.occupants.get(nick);
    if (taken && taken.bare.bareString !== from.bareString) throw new NickConflict('that nickname is in use', suggestNicks(this, nick, from.bareString)); // §7.2.9
    const reserved = [...this.affiliations].find(([j, r]) => r.nick === nick && j !== from.bareString);
    if (reserved) throw new NickConflict('that nickname is reserved', suggestNicks(this, nick, from.bareString));

    if (taken) {
      // Another session of the same user under the same nick: it gets the room as if it entered.
      taken.sessions.set(from.toString(), stanza);
      this.bySession.set(from.toString(), taken);
      this.sendRoomTo(taken, from.toString(), new Set(), x);
      return;
    }

    const ev = { room: this, stanza, from, nick, x, role: (affRank(aff) >= affRank('admin') ? 'moderator' : 'participant') as Role, codes: new Set<string>() };
    this.events.fire('room/pre-join', ev);
    if (created) ev.codes.add(Status.NewRoom);
    const o: Occupant = { nick, bare: from.bare, role: ev.role, sessions: new Map([[from.toString(), stanza]]), tokens: this.host.limits.burst, refilled: Date.now() };
    this.occupants.set(nick, o);
    this.bySession.set(from.toString(), o);
    // §7.2.3: others learn of the newcomer; the newcomer gets everyone, then itself last.
    this.broadcastPresence(o, { skip: o });
    this.sendRoomTo(o, from.toString(), ev.codes, x);
    this.events.fire('room/joined', { room: this, occupant: o });
  }

  /** Occupant list, self-presence, history and subject, to one session (§7.2.3, §7.2.12-§7.2.16). */
  private sendRoomTo(o: Occupant, to: string, codes: Set<string>, x: Element | undefined): void {
    for (const other of this.occupants.values()) {
      if (other !== o) this.emit(this.presenceOf(other, o, to, {}), to, other);
    }
    this.emit(this.presenceOf(o, o, to, { selfCodes: [...codes] }), to, o);
    for (const h of selectHistory(this.history, x?.getChild('history'), this.config.historyLength, Date.now())) {
      const m = withAttrs(h.stanza, { to });
      m.children = [...m.children, xml('delay', { xmlns: NS_DELAY, from: this.jid.bareString, stamp: new Date(h.when).toISOString() })];
      this.host.route(m);
    }
    const subjectFrom = this.subject?.nick ? `${this.jid.bareString}/${this.subject.nick}` : this.jid.bareString;
    this.host.route(xml('message', { from: subjectFrom, to, type: 'groupchat' }, xml('subject', {}, this.subject?.text ?? '')));
  }

  /** §7.6: unavailable with 303 under the old nick, then available under the new one. */
  private changeNick(o: Occupant, from: Jid, nick: string, stanza: Element): void {
    if (!this.validNick(nick)) throw new StanzaError('jid-malformed', 'a roomnick needs a visible character');
    if (this.occupants.has(nick)) throw new NickConflict('that nickname is in use', suggestNicks(this, nick, o.bare.bareString)); // §7.6.3
    const reserved = [...this.affiliations].find(([j, r]) => r.nick === nick && j !== o.bare.bareString);
    if (reserved) throw new NickConflict('that nickname is reserved', suggestNicks(this, nick, o.bare.bareString));
    if (o.sessions.size > 1) throw new StanzaError('not-acceptable', 'leave with your other sessions first');
    this.broadcastPresence(o, { unavailable: true, codes: [Status.NickChange], nick });
    this.occupants.delete(o.nick);
    o.nick = nick;
    o.sessions.set(from.toString(), stanza);
    this.occupants.set(nick, o);
    this.broadcastPresence(o);
  }

  /** §7.14: one session leaves; the occupant is gone once its last session is. */
  private leave(o: Occupant, full: string, stanza?: Element): void {
    if (o.sessions.size > 1) {
      o.sessions.delete(full);
      this.bySession.delete(full);
      const p = xml('presence', { from: this.occupantJid(o), to: full, type: 'unavailable' }, this.userX(o, o, [Status.Self], { role: 'none' }));
      this.emit(p, full, o);
      return;
    }
    const status = stanza?.getChild('status');
    const last = status ? xml('presence', {}, status) : undefined;
    if (last) o.sessions.set(full, last);
    this.removeOccupant(o, {});
  }

  /** Removes an occupant with its unavailable presence to everyone (§7.14, §8.2 kick, §9.1 ban, §10.9 destroy). */
  removeOccupant(o: Occupant, opts: RemoveOptions): void {
    if (!this.occupants.has(o.nick)) return;
    this.broadcastPresence(o, { unavailable: true, codes: opts.codes, actor: opts.actor, reason: opts.reason, role: 'none', affiliation: opts.affiliation, destroy: opts.destroy });
    this.occupants.delete(o.nick);
    for (const s of o.sessions.keys()) this.bySession.delete(s);
    this.events.fire('room/left', { room: this, occupant: o });
    if (this.occupants.size === 0 && !this.config.persistent && !this.destroyed) this.destroy();
  }

  // ---- messages in ----

  handleMessage(stanza: Element, from: Jid, nick: string | undefined): void {
    const type = stanza.attrs.type;
    if (type === 'error') {
      // A bounce from an occupant's client means it is gone (§7.2, service implementation notes).
      const o = this.bySession.get(from.toString());
      if (o && nick === undefined) this.removeOccupant(o, {});
      return;
    }
    const o = this.bySession.get(from.toString());
    if (nick !== undefined) return this.privateMessage(stanza, from, o, nick);
    if (type === 'groupchat') {
      if (!o) throw new StanzaError('not-acceptable', 'you are not in this room'); // §7.2.? non-occupants do not speak
      this.checkLimits(o, stanza);
      if (stanza.getChild('subject') && !stanza.getChild('body')) return this.changeSubject(o, stanza);
      if (o.role === 'visitor' || o.role === 'none') throw new StanzaError('forbidden', 'you have no voice in this room'); // §7.4
      this.events.fire('room/pre-message', { room: this, occupant: o, stanza });
      this.broadcastMessage(o, stanza);
      return;
    }
    const ux = stanza.getChild('x', NS_USER);
    if (ux?.getChild('invite') || ux?.getChild('decline')) {
      this.handleInviteOrDecline(stanza, from, o, ux);
      return;
    }
    if (!o) throw new StanzaError('not-acceptable', 'you are not in this room');
    if (this.events.fire('room/message-to-room', { room: this, occupant: o, stanza }) === HANDLED) return;
    throw new StanzaError('bad-request', 'messages to the room itself are groupchat');
  }

  private checkLimits(o: Occupant, stanza: Element): void {
    const { maxMessageBytes, rate, burst } = this.host.limits;
    if (Buffer.byteLength(stanza.toString(), 'utf8') > maxMessageBytes) throw new StanzaError('policy-violation', `messages are limited to ${maxMessageBytes} bytes`);
    const now = Date.now();
    o.tokens = Math.min(burst, o.tokens + ((now - o.refilled) / 1000) * rate);
    o.refilled = now;
    if (o.tokens < 1) throw new StanzaError('resource-constraint', 'you are sending too fast', 'wait');
    o.tokens -= 1;
  }

  /**
   * §7.4: the message to every occupant, from the sender's occupant JID; kept as history (§7.2.12).
   * XEP-0359 §3: every copy carries <stanza-id by='room@service'/>, the archive id when the room
   * logs (stanza-ids a sender put in with the room as 'by' are removed, §5), else a fresh one.
   */
  broadcastMessage(o: Occupant, stanza: Element): void {
    const from = this.occupantJid(o);
    let base = withAttrs(stanza, { from, to: undefined, id: stanza.attrs.id, type: 'groupchat' });
    const by = this.jid.bareString;
    base.children = base.children.filter((c) => typeof c === 'string' || !(c.name === 'stanza-id' && c.attrs.xmlns === NS_SID && String(c.attrs.by).toLowerCase() === by));
    const ev = { room: this, occupant: o, stanza: base };
    this.events.fire('room/decorate-message', ev);
    base = ev.stanza;
    const stamp = (id: string) => { const m = withAttrs(base, {}); m.append(xml('stanza-id', { xmlns: NS_SID, by, id })); return m; };
    const pending = this.host.archive?.(this, o, base);
    if (pending === undefined && this.waiting === 0) return this.fanOut(o, stamp(newId()));
    this.waiting++;
    this.outbox = this.outbox
      .then(() => pending)
      .catch((err) => { this.host.log.error({ err, room: by }, 'archiving a room message failed'); return undefined; })
      .then((id) => { this.waiting--; if (!this.destroyed) this.fanOut(o, stamp(id ?? newId())); })
      .catch((err) => this.host.log.error({ err, room: by }, 'room fan-out failed'));
  }

  /** Resolves once every message sent so far went out (tests, moderation). */
  settled(): Promise<void> { return this.outbox; }

  private fanOut(o: Occupant, base: Element): void {
    for (const viewer of this.occupants.values()) {
      for (const to of viewer.sessions.keys()) this.emit(withAttrs(base, { to }), to, o);
    }
    this.remember(base);
    this.events.fire('room/message', { room: this, occupant: o, stanza: base });
  }

  private remember(stanza: Element): void {
    if (this.config.historyLength <= 0) return;
    this.history.push({ stanza, when: Date.now(), chars: stanza.toString().length });
    this.trimHistory();
  }

  trimHistory(): void {
    const max = Math.min(this.config.historyLength, this.host.limits.maxHistory);
    if (this.history.length > max) this.history.splice(0, this.history.length - max);
  }

  /** §8.1 */
  private changeSubject(o: Occupant, stanza: Element): void {
    this.events.fire('room/pre-subject', { room: this, occupant: o, stanza });
    this.subject = { text: stanza.getChildText('subject') ?? '', nick: o.nick };
    const from = this.occupantJid(o);
    for (const viewer of this.occupants.values()) {
      for (const to of viewer.sessions.keys()) this.emit(withAttrs(stanza, { from, to, type: 'groupchat' }), to, o);
    }
    this.host.save(this);
  }

  /** §7.5 */
  private privateMessage(stanza: Element, from: Jid, o: Occupant | undefined, nick: string): void {
    if (!o) throw new StanzaError('not-acceptable', 'only occupants send private messages in this room');
    if (stanza.attrs.type === 'groupchat') throw new StanzaError('bad-request', 'private messages are not groupchat');
    const to = this.occupants.get(nick);
    if (!to) throw new StanzaError('item-not-found', 'no such occupant');
    this.checkLimits(o, stanza);
    this.events.fire('room/pre-private-message', { room: this, occupant: o, to, stanza });
    const sender = this.occupantJid(o);
    // §7.5: the recipient may reply to the occupant JID; <x xmlns='…muc#user'/> marks it as a MUC PM.
    const base = withAttrs(stanza, { from: sender });
    if (!base.getChild('x', NS_USER)) base.children = [...base.children, xml('x', { xmlns: NS_USER })];
    for (const s of to.sessions.keys()) this.emit(withAttrs(base, { to: s }), s, o);
  }

  // ---- invitations (§7.8.2) ----

  private handleInviteOrDecline(stanza: Element, from: Jid, o: Occupant | undefined, ux: Element): void {
    for (const d of ux.getChildren('decline')) {
      const to = Jid.tryParse(d.attrs.to);
      if (!to) throw new StanzaError('jid-malformed');
      const key = [...this.pendingInvites].find((k) => k.startsWith(`${from.bareString}|`) && (k.endsWith(`|${to.toString()}`) || Jid.parse(k.split('|')[1]!).bareString === to.bareString));
      if (!key) throw new StanzaError('not-acceptable', 'there is no invitation from them to decline');
      this.pendingInvites.delete(key);
      const decl = xml('decline', { from: from.bare.toString() });
      const reason = d.getChildText('reason');
      if (reason) decl.append(xml('reason', {}, reason));
      this.sendRaw(xml('message', { from: this.jid.bareString, to: key.split('|')[1]! }, xml('x', { xmlns: NS_USER }, decl)));
    }
    const invites = ux.getChildren('invite');
    for (const inv of invites) {
      const invitee = Jid.tryParse(inv.attrs.to);
      if (!invitee) throw new StanzaError('jid-malformed', 'the invitee is not a JID');
      const ev = { room: this, from, occupant: o, invitee, stanza };
      this.events.fire('room/pre-invite', ev);
      const reason = inv.getChildText('reason');
      const attrs: Record<string, string> = { from: from.toString() };
      const invite = xml('invite', attrs);
      if (reason) invite.append(xml('reason', {}, reason));
      const x = xml('x', { xmlns: NS_USER }, invite);
      if (this.config.password) x.append(xml('password', {}, this.config.password));
      const inviter = o ? o.nick : from.bare.toString();
      const body = `${inviter} invites you to the room ${this.jid.bareString}${reason ? `: ${reason}` : ''}`;
      // To the bare JID and without a type: delivered like any normal message, stored while offline.
      this.sendRaw(xml('message', { from: this.jid.bareString, to: invitee.bare.toString() }, x, xml('body', {}, body)));
      if (this.pendingInvites.size < 1000) this.pendingInvites.add(`${invitee.bareString}|${from.toString()}`);
      this.events.fire('room/invited', ev);
    }
  }

  // ---- destruction (§10.9) ----

  destroy(opts: { venue?: string; reason?: string; password?: string } = {}): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const d = xml('destroy', opts.venue ? { jid: opts.venue } : {});
    if (opts.reason) d.append(xml('reason', {}, opts.reason));
    if (opts.password) d.append(xml('password', {}, opts.password));
    for (const o of this.occupantList()) {
      this.broadcastPresence(o, { unavailable: true, role: 'none', affiliation: 'none', destroy: d, skip: undefined });
      this.occupants.delete(o.nick);
      for (const s of o.sessions.keys()) this.bySession.delete(s);
    }
    this.events.fire('room/destroyed', { room: this });
    this.host.forget(this);
  }

  /** Server shutdown: everyone leaves with 332 (§15.6), the room itself stays as stored. */
  shutdown(): void {
    for (const o of this.occupantList()) {
      for (const to of o.sessions.keys()) {
        this.host.route(xml('presence', { from: this.occupantJid(o), to, type: 'unavailable' }, this.userX(o, o, [Status.Self, Status.Shutdown], { role: 'none' })));
      }
    }
    this.occupants.clear();
    this.bySession.clear();
  }

  /** An error reply to a stanza sent to this room. */
  errorFor(stanza: Element, err: StanzaError): Element {
    const reply = errorReply(stanza, err);
    decorateError(reply, err);
    if (stanza.name === 'presence' && stanza.getChild('x', NS_MUC)) reply.children.unshift(xml('x', { xmlns: NS_MUC }));
    return reply;
  }

  toJSON(): PersistedRoom {
    return { config: this.config, affiliations: [...this.affiliations], ...(this.subject ? { subject: this.subject } : {}) };
  }
}
