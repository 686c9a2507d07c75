/**
 * muc#roomconfig_maxusers (XEP-0045 §10.2), bounded by the service's max_occupants: a full room
 * refuses entry with 503 service-unavailable (§7.2.10); owners and admins still enter.
 */
import { StanzaError } from '../../../core/errors.js';
import { single } from '../form.js';
import { affRank } from '../ns.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_maxusers';
export default defineOption({
  name: 'max-users',
  defaults: {},
  install(events, env) {
    events.on('room/config-form', ({ room, fields }) => {
      const choices = [10, 20, 30, 50, 100, 200, 500, 1000].filter((n) => n < env.maxOccupants);
      fields.push({
        var: VAR, type: 'list-single', label: 'Maximum number of occupants', values: [String(room.config.maxUsers)],
        options: [...choices, env.maxOccupants].map((n) => ({ value: String(n) })),
      });
    });
    events.on('room/config-submit', ({ room, values }) => {
      const v = single(values.get(VAR));
      if (v === undefined) return;
      const n = v === 'none' || v === '' ? env.maxOccupants : Number(v);
      if (!Number.isInteger(n) || n < 1 || n > env.maxOccupants) throw new StanzaError('not-acceptable', `muc#roomconfig_maxusers must be 1..${env.maxOccupants}`);
      room.config.maxUsers = n;
    });
    events.on('room/info', ({ room, fields }) => { fields.push({ var: 'muc#roominfo_occupants', label: 'Number of occupants', values: [String(room.occupantCount)] }); });
    events.on('room/pre-join', ({ room, from }) => {
      if (affRank(room.affiliation(from)) >= affRank('admin')) return;
      if (room.occupantCount >= Math.min(room.config.maxUsers, env.maxOccupants)) throw new StanzaError('service-unavailable', 'this room is full');
    });
  },
});
