/**
 * muc#roomconfig_passwordprotectedroom and muc#roomconfig_roomsecret (XEP-0045 §10.2): entering
 * needs <password/> (§7.2.6, else 401 not-authorized); owners enter without it. Advertised
 * muc_passwordprotected or muc_unsecured (§6.4).
 */
import { StanzaError } from '../../../core/errors.js';
import { boolValue, parseBool, single } from '../form.js';
import { defineOption } from './option.js';

const PROTECTED = 'muc#roomconfig_passwordprotectedroom';
const SECRET = 'muc#roomconfig_roomsecret';
export default defineOption({
  name: 'password',
  defaults: { password: '' },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => {
      fields.push({ var: PROTECTED, type: 'boolean', label: 'Password required to enter', values: [boolValue(room.config.password !== '')] });
      fields.push({ var: SECRET, type: 'text-private', label: 'Password', values: [room.config.password] });
    });
    events.on('room/config-submit', ({ room, values }) => {
      const on = parseBool(values.get(PROTECTED), PROTECTED);
      const secret = single(values.get(SECRET));
      if (secret !== undefined) room.config.password = secret;
      if (on === false) room.config.password = '';
      if (on === true && room.config.password === '') throw new StanzaError('not-acceptable', 'a password-protected room needs a password');
    });
    events.on('room/info', ({ room, features }) => { features.push(room.config.password ? 'muc_passwordprotected' : 'muc_unsecured'); });
    events.on('room/pre-join', ({ room, x, from }) => {
      if (!room.config.password || room.affiliation(from) === 'owner') return;
      if (x?.getChildText('password') !== room.config.password) throw new StanzaError('not-authorized', 'a password is required to enter this room', 'auth');
    });
  },
});
