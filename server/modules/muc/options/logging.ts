/**
 * muc#roomconfig_enablelogging (XEP-0045 §10.2): the discussion is logged (the room archive of
 * the extension step keeps it); entering occupants are told with status 170 (§7.2.12), and a
 * change is announced with 170/171 (§10.2.1).
 */
import { boolValue, parseBool } from '../form.js';
import { Status } from '../ns.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_enablelogging';
export default defineOption({
  name: 'logging',
  defaults: { logging: false },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'boolean', label: 'Enable public logging', values: [boolValue(room.config.logging)] }); });
    events.on('room/config-submit', ({ room, values, codes }) => {
      const v = parseBool(values.get(VAR), VAR);
      if (v === undefined) return;
      if (v !== room.config.logging) codes.add(v ? Status.Logged : '171');
      room.config.logging = v;
    });
    events.on('room/pre-join', ({ room, codes }) => { if (room.config.logging) codes.add(Status.Logged); });
  },
});
