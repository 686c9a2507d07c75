/**
 * XEP-0421 Occupant identifiers for semi-anonymous MUCs 1.0.1 (urn:xmpp:occupant-id:0): every
 * presence and message an occupant sends through the room carries <occupant-id id/>, stable per
 * real bare JID per room (§4: HMAC-SHA-256 of the bare JID under a per-room secret kept with the
 * room, so it survives rejoins and restarts and reveals nothing across rooms); any occupant-id a
 * client put in is removed first (§4: the service MUST strip it). Advertised on the room (§3).
 */
import { createHmac, randomBytes } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import type { RoomEvents } from '../events.js';
import { NS_OCCUPANT_ID } from '../ns.js';
import type { Occupant, Room } from '../room.js';

declare module '../options/option.js' {
  interface RoomConfig {
    /** The per-room secret of XEP-0421 ids (never shown in a form). */
    occupantSecret?: string;
  }
}

/** Computed ids per room (fan-out asks once per copy), keyed by the secret they were made with. */
const cache = new WeakMap<Room, { secret: string; ids: Map<string, string> }>();

export function occupantId(room: Room, bare: string): string {
  if (!room.config.occupantSecret) {
    room.config.occupantSecret = randomBytes(24).toString('base64url');
    room.save();
  }
  const secret = room.config.occupantSecret;
  let c = cache.get(room);
  if (!c || c.secret !== secret) cache.set(room, (c = { secret, ids: new Map() }));
  let id = c.ids.get(bare);
  if (id === undefined) {
    id = createHmac('sha256', secret).update(bare.toLowerCase()).digest('base64url').slice(0, 27);
    if (c.ids.size < 10_000) c.ids.set(bare, id);
  }
  return id;
}

export function occupantById(room: Room, id: string): Occupant | undefined {
  return room.occupantList().find((o) => occupantId(room, o.bare.bareString) === id);
}

export function withOccupantId(stanza: Element, id: string): void {
  stanza.children = stanza.children.filter((c) => typeof c === 'string' || !(c.name === 'occupant-id' && c.attrs.xmlns === NS_OCCUPANT_ID));
  stanza.children.push(xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id }));
}

export function installOccupantId(events: RoomEvents): void {
  events.on('room/info', ({ features }) => { features.push(NS_OCCUPANT_ID); });
  events.on('room/decorate-message', (ev) => { withOccupantId(ev.stanza, occupantId(ev.room, ev.occupant.bare.bareString)); });
  events.on('room/outgoing', ({ room, occupant, stanza }) => {
    if (!occupant || (stanza.name !== 'presence' && stanza.name !== 'message')) return;
    const id = occupantId(room, occupant.bare.bareString);
    // A groupchat copy of the broadcast already carries it (room/decorate-message): nothing to do.
    const last = stanza.children[stanza.children.length - 2];
    if (typeof last !== 'string' && last?.name === 'occupant-id' && last.attrs.xmlns === NS_OCCUPANT_ID && last.attrs.id === id) return;
    withOccupantId(stanza, id);
  });
}
