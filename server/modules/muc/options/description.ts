/** muc#roomconfig_roomdesc (XEP-0045 §10.2), reported as muc#roominfo_description (§6.4). */
import { single } from '../form.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_roomdesc';
export default defineOption({
  name: 'description',
  defaults: { description: '' },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'text-single', label: 'Description', values: [room.config.description] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = single(values.get(VAR));
      if (v !== undefined) room.config.description = v.slice(0, 1024);
    });
    events.on('room/info', ({ room, fields }) => { fields.push({ var: 'muc#roominfo_description', label: 'Description', values: [room.config.description] }); });
  },
});
