/**
 * The owner's muc#owner protocol (XEP-0045 §10): the room configuration form (§10.2) built from
 * the room options, instant rooms (§10.1.2: an empty submitted form), reserved rooms (§10.1.3:
 * configure, or cancel to destroy the new room), the config-change notice (§10.2.1, status 104)
 * and room destruction with an alternate venue (§10.9).
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import { type FormField, formElement, formValues } from './form.js';
import { NS_DATA, NS_OWNER, NS_ROOMCONFIG, NS_USER, Status } from './ns.js';
import type { Room } from './room.js';

export function configGet(room: Room, from: Jid): Element {
  if (room.affiliation(from) !== 'owner') throw new StanzaError('forbidden', 'only owners configure the room');
  const fields: FormField[] = [];
  room.events.fire('room/config-form', { room, fields, actor: from });
  return xml('query', { xmlns: NS_OWNER }, formElement('form', NS_ROOMCONFIG, fields, `Configuration for ${room.jid.bareString}`));
}

export function ownerSet(room: Room, from: Jid, query: Element): true {
  if (room.affiliation(from) !== 'owner') throw new StanzaError('forbidden', 'only owners configure or destroy the room');
  const destroy = query.getChild('destroy');
  if (destroy) {
    const venue = destroy.attrs.jid ? Jid.tryParse(destroy.attrs.jid) : undefined;
    if (destroy.attrs.jid && !venue) throw new StanzaError('jid-malformed', 'the alternate venue is not a JID');
    room.destroy({ venue: venue?.toString(), reason: destroy.getChildText('reason') ?? undefined, password: destroy.getChildText('password') ?? undefined });
    return true;
  }
  const x = query.getChild('x', NS_DATA);
  if (!x) throw new StanzaError('bad-request', 'expected a data form or <destroy/>');
  if (x.attrs.type === 'cancel') {
    if (room.locked) room.destroy(); // §10.1.3: cancelling the initial configuration destroys the new room
    return true;
  }
  if (x.attrs.type !== 'submit') throw new StanzaError('bad-request', 'the form is submitted or cancelled');
  const values = formValues(x, NS_ROOMCONFIG);
  const before = structuredClone(room.config);
  const codes = new Set<string>();
  try {
    room.events.fire('room/config-submit', { room, values, actor: from, codes });
  } catch (err) {
    room.config = before; // all or nothing
    throw err;
  }
  const wasLocked = room.locked;
  room.locked = false;
  room.save();
  if (!wasLocked && values.size > 0) {
    // §10.2.1: occupants learn that the configuration changed (and how, for privacy-related changes).
    const notice = xml('x', { xmlns: NS_USER }, xml('status', { code: Status.ConfigChanged }), ...[...codes].map((c) => xml('status', { code: c })));
    for (const o of room.occupantList()) {
      for (const to of o.sessions.keys()) room.sendRaw(xml('message', { from: room.jid.bareString, to, type: 'groupchat' }, notice));
    }
  }
  return true;
}
