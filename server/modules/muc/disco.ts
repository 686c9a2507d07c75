/**
 * Service discovery for the MUC service and its rooms (XEP-0045 §6): the service's identity
 * conference/text and features (§6.1-§6.2), its public rooms (§6.3), a room's identity, muc_*
 * features and muc#roominfo form (§6.4), and a room's items (§6.5: none, so that semi-anonymous
 * rooms do not reveal their occupants).
 */
import xml, { type Element } from '@xmpp/xml';
import type { Jid } from '../../core/jid.js';
import { type FormField, formElement } from './form.js';
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_ROOMINFO } from './ns.js';
import type { Room } from './room.js';

export function serviceInfo(): Element {
  return xml('query', { xmlns: NS_DISCO_INFO },
    xml('identity', { category: 'conference', type: 'text', name: 'Chatrooms' }),
    ...[NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC].map((f) => xml('feature', { var: f })));
}

export function serviceItems(rooms: Iterable<Room>): Element {
  const q = xml('query', { xmlns: NS_DISCO_ITEMS });
  for (const r of rooms) {
    if (!r.config.public || r.locked || r.destroyed) continue;
    q.append(xml('item', { jid: r.jid.bareString, name: r.config.name || r.jid.local }));
  }
  return q;
}

export function roomInfo(room: Room, from: Jid): Element {
  const features: string[] = [NS_MUC];
  const fields: FormField[] = [];
  room.events.fire('room/info', { room, features, fields, from });
  const q = xml('query', { xmlns: NS_DISCO_INFO }, xml('identity', { category: 'conference', type: 'text', name: room.config.name || room.jid.local }));
  for (const f of [...new Set(features)].sort()) q.append(xml('feature', { var: f }));
  q.append(formElement('result', NS_ROOMINFO, fields));
  return q;
}

export function roomItems(): Element {
  return xml('query', { xmlns: NS_DISCO_ITEMS });
}
