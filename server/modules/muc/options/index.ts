/** Every room option, in the order their fields appear in the muc#roomconfig form. */
import allowAnonymous from './allow-anonymous.js';
import allowInvites from './allow-invites.js';
import allowPm from './allow-pm.js';
import changeSubject from './change-subject.js';
import description from './description.js';
import historyLength from './history-length.js';
import language from './language.js';
import lifetime from './lifetime.js';
import logging from './logging.js';
import maxUsers from './max-users.js';
import membersOnly from './members-only.js';
import minors from './minors.js';
import moderated from './moderated.js';
import name from './name.js';
import offlineMembers from './offline-members.js';
import type { RoomOption } from './option.js';
import password from './password.js';
import persistent from './persistent.js';
import publicRoom from './public.js';
import voiceRequests from './voice-requests.js';
import whois from './whois.js';

export const roomOptions: readonly RoomOption[] = [
  name, description, language, publicRoom, persistent, password, membersOnly, moderated, maxUsers,
  whois, changeSubject, allowInvites, allowPm, historyLength, logging, voiceRequests, lifetime, minors, offlineMembers, allowAnonymous,
];
