/**
 * muc#maxhistoryfetch (XEP-0045 §10.2, §7.2.13): how many messages of discussion history the
 * room keeps and sends on entry by default; bounded by the service (the room core trims to it).
 */
import { StanzaError } from '../../../core/errors.js';
import { single } from '../form.js';
import { defineOption } from './option.js';

const VAR = 'muc#maxhistoryfetch';
export default defineOption({
  name: 'history-length',
  defaults: {},
  install(events, env) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'text-single', label: `Messages of history sent to new occupants (0..${env.maxHistory})`, values: [String(room.config.historyLength)] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = single(values.get(VAR));
      if (v === undefined || v === '') return;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > env.maxHistory) throw new StanzaError('not-acceptable', `muc#maxhistoryfetch must be 0..${env.maxHistory}`);
      room.config.historyLength = n;
      room.trimHistory();
    });
  },
});
