/**
 * Voice requests (XEP-0045 §7.13, §8.6): a visitor sends the muc#request form to the room, which
 * passes it to the moderators; a moderator's submitted form with muc#request_allow grants voice.
 * The option muc#roomconfig_allowvoicerequests (the name ejabberd uses) turns it off (then 403).
 */
import xml from '@xmpp/xml';
import { StanzaError } from '../../../core/errors.js';
import { HANDLED } from '../../../core/events.js';
import { boolValue, formElement, formValues, parseBool, single } from '../form.js';
import { NS_DATA, NS_REQUEST } from '../ns.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_allowvoicerequests';
export default defineOption({
  name: 'voice-requests',
  defaults: { voiceRequests: true },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'boolean', label: 'Allow visitors to request voice', values: [boolValue(room.config.voiceRequests)] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = parseBool(values.get(VAR), VAR);
      if (v !== undefined) room.config.voiceRequests = v;
    });
    events.on('room/message-to-room', ({ room, occupant, stanza }) => {
      const x = stanza.getChildren('x', NS_DATA).find((f) => f.getChildren('field').some((fl) => fl.attrs.var === 'FORM_TYPE' && fl.getChildText('value') === NS_REQUEST));
      if (!x) return;
      const values = formValues(x, NS_REQUEST);
      if (x.attrs.type === 'submit' && occupant.role === 'moderator' && values.has('muc#request_allow')) {
        // §8.6: a moderator's answer.
        if (parseBool(values.get('muc#request_allow'), 'muc#request_allow')) {
          const target = room.occupant(single(values.get('muc#roomnick')) ?? '');
          if (target && target.role === 'visitor') room.setRole(target, 'participant', occupant);
        }
        return HANDLED;
      }
      if (single(values.get('muc#role')) !== 'participant') throw new StanzaError('bad-request', 'a voice request asks for the participant role');
      if (!room.config.voiceRequests) throw new StanzaError('forbidden', 'voice requests are disabled in this room');
      if (occupant.role !== 'visitor') return HANDLED; // already has voice
      const form = formElement('form', NS_REQUEST, [
        { var: 'muc#role', type: 'list-single', label: 'Requested role', values: ['participant'] },
        { var: 'muc#jid', type: 'jid-single', label: 'User ID', values: [occupant.bare.toString()] },
        { var: 'muc#roomnick', type: 'text-single', label: 'Room nickname', values: [occupant.nick] },
        { var: 'muc#request_allow', type: 'boolean', label: 'Grant voice to this person?', values: ['0'] },
      ], 'Voice request');
      for (const m of room.occupantList()) {
        if (m.role !== 'moderator') continue;
        for (const to of m.sessions.keys()) room.sendRaw(xml('message', { from: room.jid.toString(), to }, form));
      }
      return HANDLED;
    });
  },
});
