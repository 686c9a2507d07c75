/**
 * muc#roomconfig_changesubject (XEP-0045 §10.2): whether participants may change the subject;
 * moderators always may (§8.1). Otherwise 403 forbidden.
 */
import { StanzaError } from '../../../core/errors.js';
import { boolValue, parseBool } from '../form.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_changesubject';
export default defineOption({
  name: 'change-subject',
  defaults: { changeSubject: false },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'boolean', label: 'Allow occupants to change the subject', values: [boolValue(room.config.changeSubject)] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = parseBool(values.get(VAR), VAR);
      if (v !== undefined) room.config.changeSubject = v;
    });
    events.on('room/info', ({ room, fields }) => {
      fields.push({ var: 'muc#roominfo_subject', label: 'Current subject', values: [room.subject?.text ?? ''] });
      fields.push({ var: 'muc#roominfo_changesubject', label: 'Occupants may change the subject', values: [boolValue(room.config.changeSubject)] });
    });
    events.on('room/pre-subject', ({ room, occupant }) => {
      if (occupant.role === 'moderator') return;
      if (!room.config.changeSubject || occupant.role !== 'participant') throw new StanzaError('forbidden', 'you may not change the subject of this room');
    });
  },
});
