/**
 * tern#roomconfig_offline_members (Tern's own field; "groups that work on phones", opt-in per
 * room): members stay members while offline. A groupchat message broadcast while a member (member,
 * admin or owner affiliation, an account of this server) is not in the room and has no session at
 * all is put in their offline storage, as broadcast (type groupchat, from the occupant JID, with
 * the room's stanza-id and the occupant id), which fires `message/offline` and so their push
 * notifications (XEP-0357, the push module). The wiring is in index.ts (it needs the `offline`
 * service); this file holds the field.
 */
import { boolValue, parseBool } from '../form.js';
import { defineOption } from './option.js';

declare module './option.js' {
  interface RoomConfig { offlineMembers: boolean }
}

export const VAR_OFFLINE_MEMBERS = 'tern#roomconfig_offline_members';
export default defineOption({
  name: 'offline-members',
  defaults: { offlineMembers: false },
  install(events) {
    events.on('room/config-form', ({ room, fields }) => { fields.push({ var: VAR_OFFLINE_MEMBERS, type: 'boolean', label: 'Keep messages for members who are offline', values: [boolValue(room.config.offlineMembers)] }); });
    events.on('room/config-submit', ({ room, values }) => {
      const v = parseBool(values.get(VAR_OFFLINE_MEMBERS), VAR_OFFLINE_MEMBERS);
      if (v !== undefined) room.config.offlineMembers = v;
    });
  },
});
