/**
 * muc#roomconfig_whois (XEP-0045 §10.2): who sees occupants' real JIDs. 'moderators' makes the
 * room semi-anonymous, 'anyone' non-anonymous (§4.2; the room core reads config.whois); in a
 * non-anonymous room entering occupants get status 100 (§7.2.3). muc_semianonymous/nonanonymous.
 */
import { StanzaError } from '../../../core/errors.js';
import { single } from '../form.js';
import { Status } from '../ns.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_whois';
export default defineOption({
  name: 'whois',
  defaults: { whois: 'moderators' },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => {
      fields.push({
        var: VAR, type: 'list-single', label: 'Who may discover real JIDs', values: [room.config.whois],
        options: [{ label: 'Moderators only', value: 'moderators' }, { label: 'Anyone', value: 'anyone' }],
      });
    });
    events.on('room/config-submit', ({ room, values, codes }) => {
      const v = single(values.get(VAR));
      if (v === undefined) return;
      if (v !== 'moderators' && v !== 'anyone') throw new StanzaError('not-acceptable', 'muc#roomconfig_whois is moderators or anyone');
      if (v !== room.config.whois) codes.add(v === 'anyone' ? '172' : '173'); // §10.2.1
      room.config.whois = v;
    });
    events.on('room/info', ({ room, features }) => { features.push(room.config.whois === 'anyone' ? 'muc_nonanonymous' : 'muc_semianonymous'); });
    events.on('room/pre-join', ({ room, codes }) => { if (room.config.whois === 'anyone') codes.add(Status.NonAnonymous); });
  },
});
