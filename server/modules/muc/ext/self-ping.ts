/**
 * XEP-0410 MUC Self-Ping (Schrödinger's Chat) 1.1.0: a ping (XEP-0199) to one's own occupant JID
 * is answered by the service itself (§3.3 server optimisation: result when the sending full JID is joined under that
 * nick; not-acceptable when it is not an occupant), advertised as muc#self-ping-optimization.
 */
import { StanzaError } from '../../../core/errors.js';
import { HANDLED } from '../../../core/events.js';
import { iqResult } from '../../../core/stanza.js';
import type { RoomEvents } from '../events.js';
import { NS_PING, NS_SELF_PING } from '../ns.js';

export function installSelfPing(events: RoomEvents): void {
  events.on('room/info', ({ features }) => { features.push(NS_SELF_PING); });
  events.on('room/occupant-iq', ({ room, stanza, from, nick }) => {
    if (stanza.attrs.type !== 'get' || !stanza.getChild('ping', NS_PING)) return undefined;
    const me = room.occupantBySession(from.toString());
    if (!me) throw new StanzaError('not-acceptable', 'you are not joined to this room');
    if (me.nick !== nick) return undefined; // someone else's nick: not a self-ping
    room.sendRaw(iqResult(stanza));
    return HANDLED;
  });
}
