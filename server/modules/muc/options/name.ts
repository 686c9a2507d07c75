/** muc#roomconfig_roomname (XEP-0045 §10.2, §15.5.3): the room's natural-language name, shown in disco (§6.4). */
import { single } from '../form.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_roomname';
export default defineOption({
  name: 'name',
  defaults: { name: '' },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'text-single', label: 'Room name', values: [room.config.name] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = single(values.get(VAR));
      if (v !== undefined) room.config.name = v.slice(0, 256);
    });
    events.on('room/info', ({ room, fields }) => { fields.push({ var: VAR, values: [room.config.name] }); });
  },
});
