/**
 * muc#roomconfig_publicroom (XEP-0045 §10.2): a public room is listed in the service's disco#items
 * (§6.3, the service reads config.public) and advertised muc_public, else muc_hidden (§6.4).
 */
import { boolValue, parseBool } from '../form.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_publicroom';
export default defineOption({
  name: 'public',
  defaults: { public: true },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'boolean', label: 'List this room in the directory', values: [boolValue(room.config.public)] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = parseBool(values.get(VAR), VAR);
      if (v !== undefined) room.config.public = v;
    });
    events.on('room/info', ({ room, features }) => { features.push(room.config.public ? 'muc_public' : 'muc_hidden'); });
  },
});
