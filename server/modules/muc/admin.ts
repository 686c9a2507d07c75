/**
 * The muc#admin lists (XEP-0045 §8.2-§8.5 moderator, §9.1-§9.8 admin, §10.3-§10.7 owner use
 * cases): getting a list by role or affiliation, and changing roles (by nick) and affiliations
 * (by bare JID). A request is checked whole before any of it applies.
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import { type Affiliation, AFFILIATIONS, affRank, NS_ADMIN, type Role, ROLES } from './ns.js';
import { occupantById } from './ext/occupant-id.js';
import type { Occupant, Room } from './room.js';
import { NS_OCCUPANT_ID } from './ns.js';

const isRole = (s: string | undefined): s is Role => s !== undefined && (ROLES as readonly string[]).includes(s);
const isAffiliation = (s: string | undefined): s is Affiliation => s !== undefined && (AFFILIATIONS as readonly string[]).includes(s);

export function adminGet(room: Room, from: Jid, query: Element): Element {
  const item = query.getChild('item');
  const actor = room.occupantBySession(from.toString());
  const aff = room.affiliation(from);
  const out = xml('query', { xmlns: NS_ADMIN });
  const role = item?.attrs.role as string | undefined;
  const affiliation = item?.attrs.affiliation as string | undefined;
  if (isAffiliation(affiliation) && affiliation !== 'none') {
    // §9.2/§9.5 member and ban lists for admins; §10.5/§10.8 owner and admin lists for owners too (admins may read them).
    if (affRank(aff) < affRank('admin')) throw new StanzaError('forbidden', 'only admins and owners see this list');
    for (const [jid, r] of room.affiliations) {
      if (r.affiliation !== affiliation) continue;
      const it = xml('item', { affiliation, jid, ...(r.nick ? { nick: r.nick } : {}) });
      if (r.reason) it.append(xml('reason', {}, r.reason));
      out.append(it);
    }
    return out;
  }
  if (isRole(role) && role !== 'none') {
    // §8.5 voice list and §9.8 moderator list.
    if (actor?.role !== 'moderator') throw new StanzaError('forbidden', 'only moderators see this list');
    for (const o of room.occupantList()) {
      if (o.role !== role) continue;
      out.append(xml('item', { role, nick: o.nick, affiliation: room.affiliation(o.bare), jid: o.sessions.keys().next().value ?? o.bare.toString() }));
    }
    return out;
  }
  throw new StanzaError('bad-request', 'ask for one role or one affiliation');
}

type Change =
  | { kind: 'role'; target: Occupant; role: Role; reason?: string }
  | { kind: 'affiliation'; jid: Jid; affiliation: Affiliation; reason?: string; nick?: string };

export function adminSet(room: Room, from: Jid, query: Element): true {
  const actor = room.occupantBySession(from.toString());
  const actorAff = room.affiliation(from);
  const changes: Change[] = [];
  const owners = new Set(room.owners());
  const items = query.getChildren('item');
  if (items.length === 0) throw new StanzaError('bad-request', 'nothing to change');
  for (const item of items) {
    // Tern's extension (public chat, seed 5.18): an <occupant-id xmlns='urn:xmpp:occupant-id:0' id/>
    // child names the target in place of nick (roles) or jid (affiliations).
    const oid = item.getChild('occupant-id', NS_OCCUPANT_ID)?.attrs.id as string | undefined;
    if (oid !== undefined) {
      const target = occupantById(room, oid);
      if (!target) throw new StanzaError('item-not-found', 'no occupant with that occupant id');
      if (item.attrs.role !== undefined) item.attrs.nick = target.nick;
      else item.attrs.jid = target.bare.bareString;
    }
    const reason = item.getChildText('reason') ?? undefined;
    const role = item.attrs.role as string | undefined;
    const affiliation = item.attrs.affiliation as string | undefined;
    if (role !== undefined && affiliation !== undefined) throw new StanzaError('bad-request', 'change a role or an affiliation, not both');
    if (role !== undefined) {
      if (!isRole(role)) throw new StanzaError('bad-request', 'unknown role');
      if (actor?.role !== 'moderator') throw new StanzaError('forbidden', 'only moderators change roles');
      const target = room.occupant(item.attrs.nick ?? '');
      if (!target) throw new StanzaError('item-not-found', 'no occupant with that nick');
      const targetAff = room.affiliation(target.bare);
      if (role === 'moderator' || target.role === 'moderator') {
        // §9.6/§9.7: granting or revoking moderator is for admins and owners.
        if (affRank(actorAff) < affRank('admin')) throw new StanzaError('forbidden', 'only admins and owners grant or revoke moderator');
      }
      // §8.2/§8.4: nobody kicks or silences an admin or owner, nor anyone ranking above them.
      if ((role === 'none' || role === 'visitor' || (target.role === 'moderator' && role !== 'moderator'))
        && (affRank(targetAff) >= affRank('admin') || affRank(targetAff) > affRank(actorAff))) {
        throw new StanzaError('not-allowed', 'you may not do that to this occupant');
      }
      changes.push({ kind: 'role', target, role, reason });
      continue;
    }
    if (!isAffiliation(affiliation)) throw new StanzaError('bad-request', 'an item needs a role or an affiliation');
    let jid = Jid.tryParse(item.attrs.jid)?.bare;
    if (!jid && item.attrs.nick) jid = room.occupant(item.attrs.nick)?.bare;
    if (!jid) throw new StanzaError(item.attrs.jid ? 'jid-malformed' : 'bad-request', 'an affiliation change names a JID');
    if (affRank(actorAff) < affRank('admin')) throw new StanzaError('forbidden', 'only admins and owners change affiliations');
    const current = room.affiliation(jid);
    const touchesOwnerOrAdmin = affRank(current) >= affRank('admin') || affRank(affiliation) >= affRank('admin');
    // §10.3-§10.7: owner and admin affiliations are the owners' to give and take.
    if (touchesOwnerOrAdmin && actorAff !== 'owner') {
      throw new StanzaError(affRank(current) >= affRank('admin') ? 'not-allowed' : 'forbidden', 'only owners change owner and admin affiliations');
    }
    if (current === 'owner' && affiliation !== 'owner') owners.delete(jid.bareString);
    if (affiliation === 'owner') owners.add(jid.bareString);
    changes.push({ kind: 'affiliation', jid, affiliation, reason, nick: item.attrs.nick });
  }
  // §10.7: a room always keeps an owner.
  if (owners.size === 0) throw new StanzaError('conflict', 'the room needs an owner');
  for (const c of changes) {
    if (c.kind === 'role') room.setRole(c.target, c.role, actor, c.reason);
    else room.setAffiliation(c.jid, c.affiliation, { actor, reason: c.reason });
  }
  return true;
}
