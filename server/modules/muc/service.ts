/**
 * The MUC service as a component domain (XEP-0045 §4.1 "service"): it takes every stanza for
 * `conference.<domain>` from the router, finds or creates the room (§10.1: a user of a local host
 * entering a room that does not exist creates it and becomes its owner), and answers with the
 * error the XEP names. Persistent rooms (config, affiliations, subject) live in a map store and
 * come back at start; temporary rooms vanish with their last occupant.
 */
import xml, { type Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import type { MapStore } from '../../../storage/types.js';
import { StanzaError } from '../../core/errors.js';
import { HANDLED } from '../../core/events.js';
import { Jid } from '../../core/jid.js';
import type { Component } from '../../core/router.js';
import { errorReply, iqPayload, iqResult, mustNotBounce } from '../../core/stanza.js';
import { adminGet, adminSet } from './admin.js';
import { roomInfo, roomItems, serviceInfo, serviceItems } from './disco.js';
import { RoomEvents } from './events.js';
import { NS_ADMIN, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_OWNER } from './ns.js';
import type { RoomConfig } from './options/option.js';
import { configGet, ownerSet } from './owner.js';
import { type Limits, type PersistedRoom, Room, type RoomHost } from './room.js';

export interface MucServiceDeps {
  domain: string;
  limits: Limits;
  defaults: RoomConfig;
  store: MapStore<PersistedRoom>;
  log: Logger;
  /** Routes a stanza from the service (ctx.router.route). */
  route(stanza: Element): void | Promise<void>;
  /** Whether a JID may create rooms (users of this server's hosts). */
  mayCreate(from: Jid): boolean;
  /** false: public chat is off (hosts[].muc.public_rooms), so no room is listed (§6.3). */
  publicRooms?: boolean;
}

/**
 * An IQ to a room's bare JID taken by an extension (MAM, moderation, reserved-nick disco):
 * undefined if not its own, else the IQ return-value contract, possibly asynchronous.
 */
export type RoomIqHandler = (room: Room, stanza: Element, from: Jid, payload: Element) => Promise<Element | true> | Element | true | undefined;

export class MucService implements Component, RoomHost {
  readonly events = new RoomEvents();
  readonly roomIqs: RoomIqHandler[] = [];
  archive?: RoomHost['archive'];
  readonly rooms = new Map<string, Room>();
  readonly limits: Limits;
  readonly log: Logger;
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly deps: MucServiceDeps) {
    this.limits = deps.limits;
    this.log = deps.log;
  }

  get domain(): string { return this.deps.domain; }

  async load(): Promise<void> {
    const all = await this.deps.store.all('');
    for (const [name, rec] of all) {
      const room = new Room(Jid.of(name, this.domain), { ...this.deps.defaults, ...rec.config }, this);
      for (const [jid, a] of rec.affiliations) room.affiliations.set(jid, a);
      if (rec.subject) room.subject = rec.subject;
      this.rooms.set(name, room);
    }
    this.log.info({ rooms: this.rooms.size }, 'persistent rooms loaded');
  }

  route(stanza: Element): void {
    try {
      const r = this.deps.route(stanza);
      if (r) r.catch((err) => this.log.error({ err }, 'routing from the MUC service failed'));
    } catch (err) {
      this.log.error({ err }, 'routing from the MUC service failed');
    }
  }

  save(room: Room): void {
    if (room.destroyed || room.locked) return;
    const name = room.jid.local;
    const value = room.config.persistent ? structuredClone(room.toJSON()) : undefined;
    this.writes = this.writes.then(() => this.deps.store.set('', name, value)).catch((err) => this.log.error({ err, room: name }, 'saving the room failed'));
  }

  forget(room: Room): void {
    const name = room.jid.local;
    if (this.rooms.get(name) === room) this.rooms.delete(name);
    this.writes = this.writes.then(() => this.deps.store.set('', name, undefined)).catch((err) => this.log.error({ err, room: name }, 'deleting the room failed'));
  }

  /** Waits for pending storage writes (shutdown, tests). */
  flush(): Promise<void> { return this.writes; }

  shutdown(): void {
    for (const r of this.rooms.values()) r.shutdown();
  }

  room(jid: Jid): Room | undefined {
    return jid.domain === this.domain ? this.rooms.get(jid.local) : undefined;
  }

  deliver(stanza: Element, from: Jid, to: Jid): void {
    const room = to.local ? this.rooms.get(to.local) : undefined;
    try {
      this.dispatch(stanza, from, to, room);
    } catch (err) {
      if (mustNotBounce(stanza)) return;
      let e: StanzaError;
      if (err instanceof StanzaError) e = err;
      else {
        this.log.error({ err }, 'MUC handler failed');
        e = new StanzaError('internal-server-error');
      }
      // The router hands components stanzas with the addresses already checked.
      const reply = room ? room.errorFor(stanza, e) : errorReply(stanza, e);
      this.route(reply);
    }
  }

  private dispatch(stanza: Element, from: Jid, to: Jid, room: Room | undefined): void {
    if (!to.local) return this.serviceStanza(stanza, from);
    if (stanza.name === 'presence') {
      if (!to.resource) {
        if (stanza.attrs.type === undefined) throw new StanzaError('jid-malformed', 'enter a room as room@service/nick'); // §7.2.1
        return;
      }
      if (!room) {
        if (stanza.attrs.type !== undefined) return;
        return this.create(stanza, from, to);
      }
      return room.handlePresence(stanza, from, to.resource);
    }
    if (!room) {
      if (stanza.name === 'iq' && (stanza.attrs.type === 'result' || stanza.attrs.type === 'error')) return;
      throw new StanzaError('item-not-found', 'no such room');
    }
    if (stanza.name === 'message') return room.handleMessage(stanza, from, to.resource || undefined);
    if (stanza.name === 'iq') return this.roomIq(room, stanza, from, to);
  }

  /** §10.1: the first to enter a room that does not exist creates it and is its owner. */
  private create(stanza: Element, from: Jid, to: Jid): void {
    if (!this.deps.mayCreate(from)) throw new StanzaError('not-allowed', 'you may not create rooms here');
    const room = new Room(to.bare, structuredClone(this.deps.defaults), this);
    room.affiliations.set(from.bareString, { affiliation: 'owner' });
    // §10.1.1: a MUC-aware client (<x xmlns='…muc'/>) gets a locked room to configure or accept;
    // a groupchat 1.0 client gets an instant room (§10.1.2 compatibility note).
    room.locked = stanza.getChild('x', NS_MUC) !== undefined;
    this.rooms.set(to.local, room);
    try {
      room.join(stanza, from, to.resource, true);
    } catch (err) {
      this.rooms.delete(to.local);
      throw err;
    }
    this.events.fire('room/created', { room });
    this.save(room);
  }

  private serviceStanza(stanza: Element, from: Jid): void {
    if (stanza.name !== 'iq') {
      if (stanza.name === 'message' && stanza.attrs.type !== 'error') throw new StanzaError('service-unavailable');
      return;
    }
    this.answer(stanza, () => {
      const q = iqPayload(stanza);
      if (stanza.attrs.type === 'get' && q?.attrs.xmlns === NS_DISCO_INFO && q.name === 'query' && !q.attrs.node) return serviceInfo();
      if (stanza.attrs.type === 'get' && q?.attrs.xmlns === NS_DISCO_ITEMS && q.name === 'query' && !q.attrs.node) return serviceItems(this.deps.publicRooms === false ? [] : this.rooms.values());
      void from;
      return undefined;
    });
  }

  private roomIq(room: Room, stanza: Element, from: Jid, to: Jid): void {
    const type = stanza.attrs.type;
    if (type === 'result' || type === 'error') return;
    if (to.resource) {
      if (room.events.fire('room/occupant-iq', { room, stanza, from, nick: to.resource }) === HANDLED) return;
      throw new StanzaError('service-unavailable');
    }
    const payload = iqPayload(stanza);
    for (const h of payload ? this.roomIqs : []) {
      const out = h(room, stanza, from, payload!);
      if (out === undefined) continue;
      if (!(out instanceof Promise)) return this.answer(stanza, () => out);
      out.then(
        (v) => this.route(iqResult(stanza, v === true ? undefined : v)),
        (err) => {
          const e = err instanceof StanzaError ? err : new StanzaError('internal-server-error');
          if (!(err instanceof StanzaError)) this.log.error({ err }, 'MUC IQ handler failed');
          this.route(room.errorFor(stanza, e));
        },
      );
      return;
    }
    this.answer(stanza, () => {
      const q = iqPayload(stanza);
      if (!q) throw new StanzaError('bad-request');
      const ns = q.attrs.xmlns as string | undefined;
      if (type === 'get' && q.name === 'query' && ns === NS_DISCO_INFO && !q.attrs.node) return roomInfo(room, from);
      if (type === 'get' && q.name === 'query' && ns === NS_DISCO_ITEMS && !q.attrs.node) return roomItems();
      if (q.name === 'query' && ns === NS_OWNER) return type === 'get' ? configGet(room, from) : ownerSet(room, from, q);
      if (q.name === 'query' && ns === NS_ADMIN) return type === 'get' ? adminGet(room, from, q) : adminSet(room, from, q);
      return undefined;
    });
  }

  /** The IQ return-value contract (ARCHITECTURE.md), for a component. */
  private answer(iq: Element, fn: () => Element | true | undefined): void {
    const out = fn();
    if (out === undefined) throw new StanzaError('service-unavailable');
    this.route(iqResult(iq, out === true ? undefined : out));
  }
}

export { xml };
