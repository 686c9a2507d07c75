/**
 * muc#roomconfig_membersonly (XEP-0045 §10.2): only members, admins and owners enter (§7.2.7, else
 * 407 registration-required). Turning it on removes the occupants who are not (§9.4, status 322);
 * an invitation by someone who may invite makes the invitee a member (§7.8.2).
 */
import { StanzaError } from '../../../core/errors.js';
import { boolValue, parseBool } from '../form.js';
import { affRank, Status } from '../ns.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_membersonly';
export default defineOption({
  name: 'members-only',
  defaults: { membersOnly: false },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'boolean', label: 'Make room members-only', values: [boolValue(room.config.membersOnly)] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = parseBool(values.get(VAR), VAR);
      if (v === undefined) return;
      const was = room.config.membersOnly;
      room.config.membersOnly = v;
      if (v && !was) {
        for (const o of room.occupantList()) {
          if (affRank(room.affiliation(o.bare)) < affRank('member')) room.removeOccupant(o, { codes: [Status.MembersOnlyRemoved] });
        }
      }
    });
    events.on('room/info', ({ room, features }) => { features.push(room.config.membersOnly ? 'muc_membersonly' : 'muc_open'); });
    events.on('room/pre-join', ({ room, from }) => {
      if (room.config.membersOnly && affRank(room.affiliation(from)) < affRank('member')) throw new StanzaError('registration-required', 'this room is members-only', 'auth');
    });
    events.on('room/invited', ({ room, invitee }) => {
      if (room.config.membersOnly && room.affiliation(invitee) === 'none') room.setAffiliation(invitee, 'member');
    });
  },
});
