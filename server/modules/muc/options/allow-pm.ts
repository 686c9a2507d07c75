/**
 * muc#roomconfig_allowpm (XEP-0045 §10.2): which roles may send private messages within the room
 * (§7.5): anyone, participants (and moderators), moderators, or none. XEP-0045 names no error for
 * a refused one; it is a permission the sender lacks, so RFC 6120 §8.3.3.4 forbidden.
 */
import { StanzaError } from '../../../core/errors.js';
import { single } from '../form.js';
import { roleRank } from '../ns.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_allowpm';
const VALUES = ['anyone', 'participants', 'moderators', 'none'] as const;
export default defineOption({
  name: 'allow-pm',
  defaults: { allowPm: 'anyone' },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => {
      fields.push({
        var: VAR, type: 'list-single', label: 'Roles that may send private messages', values: [room.config.allowPm],
        options: [{ label: 'Anyone', value: 'anyone' }, { label: 'Participants and moderators', value: 'participants' }, { label: 'Moderators only', value: 'moderators' }, { label: 'Nobody', value: 'none' }],
      });
    });
    events.on('room/config-submit', ({ room, values }) => {
      const v = single(values.get(VAR));
      if (v === undefined) return;
      if (!(VALUES as readonly string[]).includes(v)) throw new StanzaError('not-acceptable', `muc#roomconfig_allowpm is one of ${VALUES.join(', ')}`);
      room.config.allowPm = v as (typeof VALUES)[number];
    });
    events.on('room/info', ({ room, fields }) => { fields.push({ var: VAR, values: [room.config.allowPm] }); });
    events.on('room/pre-private-message', ({ room, occupant }) => {
      const p = room.config.allowPm;
      const ok = p === 'anyone' || (p === 'participants' && roleRank(occupant.role) >= roleRank('participant')) || (p === 'moderators' && occupant.role === 'moderator');
      if (!ok) throw new StanzaError('forbidden', 'private messages are not allowed in this room');
    });
  },
});
