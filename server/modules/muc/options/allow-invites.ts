/**
 * muc#roomconfig_allowinvites (XEP-0045 §10.2, §7.8.2): in a members-only room only admins and
 * owners invite unless this is on (else 403 forbidden); in an open room any occupant may invite.
 */
import { StanzaError } from '../../../core/errors.js';
import { boolValue, parseBool } from '../form.js';
import { affRank } from '../ns.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_allowinvites';
export default defineOption({
  name: 'allow-invites',
  defaults: { allowInvites: false },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'boolean', label: 'Allow occupants to invite others', values: [boolValue(room.config.allowInvites)] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = parseBool(values.get(VAR), VAR);
      if (v !== undefined) room.config.allowInvites = v;
    });
    events.on('room/info', ({ room, fields }) => { fields.push({ var: 'muc#roomconfig_allowinvites', values: [boolValue(room.config.allowInvites)] }); });
    events.on('room/pre-invite', ({ room, from, occupant }) => {
      if (affRank(room.affiliation(from)) >= affRank('admin')) return;
      if (!occupant) throw new StanzaError('not-acceptable', 'only occupants may invite');
      if (room.config.membersOnly && !room.config.allowInvites) throw new StanzaError('forbidden', 'only admins and owners may invite to this room');
    });
  },
});
