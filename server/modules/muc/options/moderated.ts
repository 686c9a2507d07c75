/**
 * muc#roomconfig_moderatedroom (XEP-0045 §10.2): in a moderated room a visitor without voice
 * cannot speak; occupants with no affiliation enter as visitors (§5.1.1). muc_moderated/unmoderated.
 */
import { boolValue, parseBool } from '../form.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_moderatedroom';
export default defineOption({
  name: 'moderated',
  defaults: { moderated: false },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'boolean', label: 'Make room moderated', values: [boolValue(room.config.moderated)] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = parseBool(values.get(VAR), VAR);
      if (v !== undefined) room.config.moderated = v;
    });
    events.on('room/info', ({ room, features }) => { features.push(room.config.moderated ? 'muc_moderated' : 'muc_unmoderated'); });
    events.on('room/pre-join', (ev) => {
      if (ev.room.config.moderated && ev.role === 'participant' && ev.room.affiliation(ev.from) === 'none') ev.role = 'visitor';
    });
  },
});
