/**
 * XEP-0425 Moderated Message Retraction 0.3.0 (urn:xmpp:message-moderate:1) with XEP-0424 Message
 * Retraction 0.4.x (urn:xmpp:message-retract:1): a moderator asks the room to retract an
 * occupant's message by its stanza-id (§4, <moderate id><retract/><reason/></moderate> to the
 * room's bare JID); the room tells every occupant with a groupchat <retract id><moderated by>
 * from the room itself (§4), replaces the message in its archive and history by a tombstone
 * (<retracted stamp><moderated/></retracted>, §5), and answers the moderator with an empty result.
 * Errors: not a moderator of the room → forbidden; no message with that stanza-id in the archive
 * or history → item-not-found; no <retract/> inside → bad-request.
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../../core/errors.js';
import type { Jid } from '../../../core/jid.js';
import { newId } from '../../../core/stanza.js';
import type { RoomEvents } from '../events.js';
import { NS_MODERATE, NS_OCCUPANT_ID, NS_RETRACT, NS_SID } from '../ns.js';
import type { Room } from '../room.js';
import type { RoomArchive } from './archive.js';
import { occupantId } from './occupant-id.js';

const sidOf = (m: Element, by: string): string | undefined =>
  m.getChildren('stanza-id', NS_SID).find((c) => String(c.attrs.by).toLowerCase() === by)?.attrs.id;

export function installModeration(events: RoomEvents): void {
  events.on('room/info', ({ features }) => { features.push(NS_MODERATE, NS_RETRACT); });
}

export function moderationIq(archive: RoomArchive) {
  return (room: Room, stanza: Element, from: Jid, q: Element): Promise<true> | undefined => {
    if (q.name !== 'moderate' || q.attrs.xmlns !== NS_MODERATE || stanza.attrs.type !== 'set') return undefined;
    return (async () => {
      const mod = room.occupantBySession(from.toString());
      if (mod?.role !== 'moderator') throw new StanzaError('forbidden', 'only moderators retract messages', 'auth');
      const id = q.attrs.id as string | undefined;
      if (!id) throw new StanzaError('bad-request', 'which message? (id)');
      if (!q.getChild('retract', NS_RETRACT)) throw new StanzaError('bad-request', 'expected <retract/>');
      await room.settled();
      const by = room.jid.bareString;
      const hist = room.history.findIndex((h) => sidOf(h.stanza, by) === id);
      const original = (room.config.logging ? await archive.find(room, id) : undefined) ?? room.history[hist]?.stanza;
      if (!original) throw new StanzaError('item-not-found', 'no such message in this room');
      const reason = q.getChildText('reason') ?? undefined;
      const moderated = () => xml('moderated', { xmlns: NS_MODERATE, by: room.occupantJid(mod) },
        xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: occupantId(room, mod.bare.bareString) }));
      const tomb = xml('message', { type: 'groupchat', from: original.attrs.from },
        xml('retracted', { xmlns: NS_RETRACT, stamp: new Date().toISOString() }, moderated(), ...(reason ? [xml('reason', {}, reason)] : [])),
        ...original.getChildren('occupant-id', NS_OCCUPANT_ID),
        ...original.children.filter((c): c is Element => typeof c !== 'string' && c.name === 'x' && c.attrs.xmlns === 'http://jabber.org/protocol/muc#user'));
      await archive.tombstone(room, id, tomb);
      if (hist >= 0) {
        const t = xml('message', { ...tomb.attrs }, ...tomb.children, xml('stanza-id', { xmlns: NS_SID, by, id }));
        room.history[hist] = { ...room.history[hist]!, stanza: t };
      }
      const retractId = newId();
      for (const o of room.occupantList()) {
        for (const to of o.sessions.keys()) {
          room.sendRaw(xml('message', { type: 'groupchat', from: by, to, id: retractId },
            xml('retract', { xmlns: NS_RETRACT, id }, moderated(), ...(reason ? [xml('reason', {}, reason)] : [])),
            xml('body', {}, 'This message was retracted by a moderator.'),
            xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: NS_RETRACT })));
        }
      }
      return true as const;
    })();
  };
}
