/**
 * muc#roomconfig_persistentroom (XEP-0045 §10.2): a persistent room survives its last occupant
 * leaving and a restart (the service stores it); a temporary one is destroyed when empty (§10.1).
 */
import { boolValue, parseBool } from '../form.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_persistentroom';
export default defineOption({
  name: 'persistent',
  defaults: { persistent: false },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'boolean', label: 'Make room persistent', values: [boolValue(room.config.persistent)] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = parseBool(values.get(VAR), VAR);
      if (v !== undefined) room.config.persistent = v;
    });
    events.on('room/info', ({ room, features }) => { features.push(room.config.persistent ? 'muc_persistent' : 'muc_temporary'); });
  },
});
