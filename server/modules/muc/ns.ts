/** XEP-0045 namespaces, status codes (§15.6 registry) and the role/affiliation orders of §5. */
export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_USER = 'http://jabber.org/protocol/muc#user';
export const NS_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const NS_OWNER = 'http://jabber.org/protocol/muc#owner';
export const NS_ROOMCONFIG = 'http://jabber.org/protocol/muc#roomconfig';
export const NS_ROOMINFO = 'http://jabber.org/protocol/muc#roominfo';
export const NS_REQUEST = 'http://jabber.org/protocol/muc#request';
export const NS_DATA = 'jabber:x:data';
export const NS_DELAY = 'urn:xmpp:delay';
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
export const NS_SID = 'urn:xmpp:sid:0';
export const NS_OCCUPANT_ID = 'urn:xmpp:occupant-id:0';
export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_PING = 'urn:xmpp:ping';
export const NS_SELF_PING = 'http://jabber.org/protocol/muc#self-ping-optimization';
export const NS_MODERATE = 'urn:xmpp:message-moderate:1';
export const NS_RETRACT = 'urn:xmpp:message-retract:1';
/** Tern's own: free nicknames carried in a 409 conflict (public chat, seed 5.18). */
export const NS_TERN_MUC = 'urn:x-tern:muc:0';

export type Role = 'moderator' | 'participant' | 'visitor' | 'none';
export type Affiliation = 'owner' | 'admin' | 'member' | 'none' | 'outcast';

export const ROLES: readonly Role[] = ['moderator', 'participant', 'visitor', 'none'];
export const AFFILIATIONS: readonly Affiliation[] = ['owner', 'admin', 'member', 'none', 'outcast'];

const AFF_RANK: Record<Affiliation, number> = { owner: 4, admin: 3, member: 2, none: 1, outcast: 0 };
const ROLE_RANK: Record<Role, number> = { moderator: 3, participant: 2, visitor: 1, none: 0 };
export const affRank = (a: Affiliation): number => AFF_RANK[a];
export const roleRank = (r: Role): number => ROLE_RANK[r];

/** §15.6 status codes used here. */
export const Status = {
  NonAnonymous: '100',
  Self: '110',
  Logged: '170',
  NewRoom: '201',
  NickModified: '210',
  Banned: '301',
  NickChange: '303',
  Kicked: '307',
  AffiliationRemoved: '321',
  MembersOnlyRemoved: '322',
  Shutdown: '332',
  ConfigChanged: '104',
} as const;
