/**
 * muc#roomconfig_publicroom (XEP-0045 §10.2): a public room is listed in the service's disco#items
 * (§6.3, the service reads config.public) and advertised muc_public, else muc_hidden (§6.4).
 * The operator switch hosts[].muc.public_rooms: false (seed 5.18) turns public chat off: new rooms
 * are hidden, making one public is refused (not-acceptable), and entering a room that is still
 * public is refused with not-allowed and a text saying why.
 */
import { StanzaError } from '../../../core/errors.js';
import { boolValue, parseBool } from '../form.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_publicroom';
export default defineOption({
  name: 'public',
  defaults: { public: true },
  install(events, env) {
    if (!env.publicRooms) {
      events.on('room/pre-join', ({ room }) => {
        if (room.config.public) throw new StanzaError('not-allowed', 'public chat rooms are turned off on this server');
      });
    }
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'boolean', label: 'List this room in the directory', values: [boolValue(room.config.public)] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = parseBool(values.get(VAR), VAR);
      if (v && !env.publicRooms) throw new StanzaError('not-acceptable', 'public chat rooms are turned off on this server');
      if (v !== undefined) room.config.public = v;
    });
    events.on('room/info', ({ room, features }) => { features.push(room.config.public ? 'muc_public' : 'muc_hidden'); });
  },
});
