/**
 * The room archive: XEP-0313 Message Archive Management 1.1.3 on the room's JID (§5.1.2 MUC
 * archives) with XEP-0359 0.7.0 stanza-ids (the room core stamps the archive id on every live copy).
 *
 * - What is kept: when muc#roomconfig_enablelogging is on, every groupchat message broadcast by
 *   the room (with its occupant-id and, inside <x xmlns='…muc#user'><item jid/>, the sender's real
 *   bare JID, shown only to those who may see real JIDs). Subject changes and private messages are
 *   not archived. The archive goes with the room when the room is destroyed.
 * - Who may query (§5.1.2 defers to the room's rules): not an outcast; in a members-only room only
 *   members, admins and owners; otherwise anyone. Refused → forbidden. A room that does not log
 *   keeps what it had; disco advertises urn:xmpp:mam:2 only while logging is on.
 * - Results come from the room's bare JID (§4.2), the forwarded message from the occupant JID;
 *   the real JID only in non-anonymous rooms or for admins, owners and moderators (XEP-0045 §4.2).
 * - Query parsing, paging and the result elements are the `mam` module's (its `mam` service);
 *   without that module the room archive is kept but not queryable (feature-not-implemented).
 * - The 'with' filter is not supported on a room archive (feature-not-implemented).
 * - Moderated messages (XEP-0425) are served as their tombstone (tombstones map).
 * - Discussion history on entering (XEP-0045 §7.2.12) of a logged room is reloaded from the
 *   archive at start, so it survives restarts.
 */
import xml, { type Element } from '@xmpp/xml';
import type { ArchiveStore, MapStore } from '../../../../storage/types.js';
import { StanzaError } from '../../../core/errors.js';
import type { Jid } from '../../../core/jid.js';
import { parseElement, withAttrs } from '../../../core/stanza.js';
import type { Services } from '../../../core/module.js';
import type { RoomEvents } from '../events.js';
import { affRank, NS_MAM, NS_SID, NS_USER } from '../ns.js';
import type { Occupant, Room } from '../room.js';

type MamService = Services['mam'];

export interface RoomArchiveDeps {
  store: ArchiveStore<string>;
  tombstones: MapStore<string>;
  mam(): MamService | undefined;
  /** Routes a stanza and resolves once it was handed on: results must precede the <fin/> (§4.2). */
  send(stanza: Element): Promise<void>;
}

export class RoomArchive {
  constructor(private readonly d: RoomArchiveDeps) {}

  /** RoomHost.archive: appends when the room logs. */
  append = (room: Room, occupant: Occupant, stanza: Element): Promise<string | undefined> | undefined => {
    if (!room.config.logging) return undefined;
    const stored = withAttrs(stanza, {});
    stored.children = stored.children.filter((c) => typeof c === 'string' || !(c.name === 'x' && c.attrs.xmlns === NS_USER));
    stored.append(xml('x', { xmlns: NS_USER }, xml('item', { jid: occupant.bare.bareString })));
    return this.d.store.append(room.jid.local, { when: Date.now(), value: stored.toString() });
  };

  install(events: RoomEvents): void {
    events.on('room/info', ({ room, features }) => {
      if (room.config.logging && this.d.mam()) features.push(NS_MAM);
      features.push(NS_SID);
    });
    events.on('room/destroyed', ({ room }) => {
      void this.d.store.delete(room.jid.local).catch(() => undefined);
      void this.d.tombstones.deleteUser(room.jid.local).catch(() => undefined);
    });
  }

  /** XEP-0313 §5.1.2 with XEP-0045's access rules. */
  private mayRead(room: Room, from: Jid): void {
    const aff = room.affiliation(from);
    if (aff === 'outcast') throw new StanzaError('forbidden', 'you are banned from this room', 'auth');
    if (room.config.membersOnly && affRank(aff) < affRank('member')) throw new StanzaError('forbidden', 'only members read the archive of a members-only room', 'auth');
  }

  private seesJids(room: Room, from: Jid): boolean {
    return room.config.whois === 'anyone' || affRank(room.affiliation(from)) >= affRank('admin') || room.occupantBySession(from.toString())?.role === 'moderator';
  }

  /** The archived message as `from` may see it (tombstone, real JID or not). */
  private async present(room: Room, id: string, value: string, showJid: boolean): Promise<string> {
    const tomb = await this.d.tombstones.get(room.jid.local, id);
    const m = parseElement(tomb ?? value);
    if (!m) return value;
    if (!showJid) m.children = m.children.filter((c) => typeof c === 'string' || !(c.name === 'x' && c.attrs.xmlns === NS_USER));
    return m.toString();
  }

  /** An IQ to the room's bare JID: the MAM query and form (§4). */
  iq = (room: Room, stanza: Element, from: Jid, q: Element): Promise<Element | true> | undefined => {
    if (q.attrs.xmlns !== NS_MAM || q.name !== 'query') return undefined;
    return (async () => {
      const mam = this.d.mam();
      if (!mam) throw new StanzaError('feature-not-implemented', 'no archive queries on this server');
      this.mayRead(room, from);
      if (stanza.attrs.type === 'get') return mam.queryForm();
      const pq = mam.parseQuery(q);
      if (pq.filters.with) throw new StanzaError('feature-not-implemented', "a room archive is not filtered by 'with'");
      const page = await mam.runQuery(this.d.store, room.jid.local, pq);
      const show = this.seesJids(room, from);
      const order = pq.flip ? [...page.items].reverse() : page.items;
      for (const rec of order) {
        const m = mam.resultMessage({ ...rec, value: await this.present(room, rec.id, rec.value, show) }, room.jid.bareString, from.toString(), pq.queryid);
        if (m) await this.d.send(m);
      }
      return mam.finElement(page);
    })();
  };

  /** The archived message with this stanza-id, if any. */
  async find(room: Room, id: string): Promise<Element | undefined> {
    for await (const rec of this.d.store.find(room.jid.local, { ids: [id] })) return parseElement(rec.value);
    return undefined;
  }

  async tombstone(room: Room, id: string, tomb: Element): Promise<void> {
    await this.d.tombstones.set(room.jid.local, id, tomb.toString());
  }

  /** The newest `max` archived messages as discussion history (at start). */
  async history(room: Room, max: number): Promise<Array<{ stanza: Element; when: number; chars: number }>> {
    const out: Array<{ stanza: Element; when: number; chars: number }> = [];
    if (max <= 0) return out;
    for await (const rec of this.d.store.find(room.jid.local, { limit: max, reverse: true })) {
      const m = parseElement(await this.present(room, rec.id, rec.value, false));
      if (!m) continue;
      m.append(xml('stanza-id', { xmlns: NS_SID, by: room.jid.bareString, id: rec.id }));
      out.unshift({ stanza: m, when: rec.when, chars: m.toString().length });
    }
    return out;
  }
}
