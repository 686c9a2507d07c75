/**
 * tern#roomconfig_minors (Tern's own field, seed 5.18): a room for minors, where private messages
 * (XEP-0045 §7.5) from occupants who are not members (member, admin or owner affiliation) are
 * refused with forbidden, whatever muc#roomconfig_allowpm says.
 */
import { StanzaError } from '../../../core/errors.js';
import { boolValue, parseBool } from '../form.js';
import { affRank } from '../ns.js';
import { defineOption } from './option.js';

declare module './option.js' {
  interface RoomConfig { minors: boolean }
}

const VAR = 'tern#roomconfig_minors';
export default defineOption({
  name: 'minors',
  defaults: { minors: false },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'boolean', label: 'Room for minors (no private messages from non-members)', values: [boolValue(room.config.minors)] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = parseBool(values.get(VAR), VAR);
      if (v !== undefined) room.config.minors = v;
    });
    events.on('room/info', ({ room, fields }) => { fields.push({ var: VAR, values: [boolValue(room.config.minors)] }); });
    events.on('room/pre-private-message', ({ room, occupant }) => {
      if (room.config.minors && affRank(room.affiliation(occupant.bare)) < affRank('member')) {
        throw new StanzaError('forbidden', 'in a room for minors only members send private messages');
      }
    });
  },
});
