/** muc#roomconfig_lang (XEP-0045 §10.2), reported as muc#roominfo_lang (§6.4). */
import { StanzaError } from '../../../core/errors.js';
import { single } from '../form.js';
import { defineOption } from './option.js';

const VAR = 'muc#roomconfig_lang';
export default defineOption({
  name: 'language',
  defaults: { language: '' },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'text-single', label: 'Natural language', values: [room.config.language] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = single(values.get(VAR));
      if (v === undefined) return;
      // A BCP 47 tag, roughly: letters, digits and hyphens.
      if (v !== '' && !/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(v)) throw new StanzaError('not-acceptable', 'muc#roomconfig_lang must be a language tag');
      room.config.language = v;
    });
    events.on('room/info', ({ room, fields }) => { if (room.config.language) fields.push({ var: 'muc#roominfo_lang', label: 'Language', values: [room.config.language] }); });
  },
});
