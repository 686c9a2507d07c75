/**
 * tern#roomconfig_allowanonymous (Tern's own field, seed 5.18 public chat): whether users logged in
 * with SASL ANONYMOUS (RFC 4505, XEP-0175; hosts[].anonymous_login) may enter. Off by default, so
 * throwaway identities reach only rooms whose owner opened them (a public help room, say).
 *
 * A refused join gets not-allowed (cancel), the condition XEP-0045 uses when the service's policy
 * refuses the user outright (§10.1.1, room creation); registration-required (§7.2.7) would tell
 * the user to become a member, which a throwaway JID cannot usefully do. An anonymous JID the
 * owner made a member (or admin, owner) is admitted: that is an explicit choice for that JID.
 * Only this server's own anonymous sessions are known as such; a remote server's look like any
 * other user. Turning the option off does not remove anonymous occupants already inside.
 */
import { StanzaError } from '../../../core/errors.js';
import { boolValue, parseBool } from '../form.js';
import { affRank } from '../ns.js';
import { defineOption } from './option.js';

declare module './option.js' {
  interface RoomConfig { allowAnonymous: boolean }
}

const VAR = 'tern#roomconfig_allowanonymous';
export default defineOption({
  name: 'allow-anonymous',
  defaults: { allowAnonymous: false },
  install(events, env) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR, type: 'boolean', label: 'Allow anonymous users (no account) to enter', values: [boolValue(room.config.allowAnonymous)] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = parseBool(values.get(VAR), VAR);
      if (v !== undefined) room.config.allowAnonymous = v;
    });
    events.on('room/info', ({ room, fields }) => { fields.push({ var: VAR, values: [boolValue(room.config.allowAnonymous)] }); });
    events.on('room/pre-join', ({ room, from }) => {
      if (room.config.allowAnonymous || !env.isAnonymous?.(from)) return;
      if (affRank(room.affiliation(from)) >= affRank('member')) return;
      throw new StanzaError('not-allowed', 'this room does not admit anonymous users; log in with an account');
    });
  },
});
