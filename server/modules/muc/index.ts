/**
 * XEP-0045 Multi-User Chat as a component domain (conference.<domain> by default, the host's
 * `muc` config). The room core is room.ts (occupants, roles, affiliations, presence, fan-out,
 * history), driven by room events (events.ts) to which each room option (options/*.ts) contributes
 * its muc#roomconfig field and its rule; admin.ts (§8-§10 lists), owner.ts (§10 configuration
 * and destruction), disco.ts (§6), history.ts (§7.2.12-§7.2.15), service.ts (routing, creation,
 * persistence). Extensions (ext/*.ts): the room archive (XEP-0313 §5.1.2) with XEP-0359
 * stanza-ids, occupant ids (XEP-0421 1.0.1), self-ping (XEP-0410 1.1.0), moderation (XEP-0425
 * 0.3.0 with XEP-0424 0.4.2), reserved-nick discovery and nick suggestions; XEP-0249 1.2 direct
 * invitations need nothing from the service (§3: clients advertise jabber:x:conference).
 */
import xml from '@xmpp/xml';
import { Jid } from '../../core/jid.js';
import { archive, defineModule, map } from '../../core/module.js';
import { RoomArchive } from './ext/archive.js';
import { installModeration, moderationIq } from './ext/moderation.js';
import { reservedNickIq } from './ext/nicks.js';
import { installOccupantId, occupantId } from './ext/occupant-id.js';
import { installSelfPing } from './ext/self-ping.js';
import { reap } from './options/lifetime.js';
import { affRank } from './ns.js';
import { withAttrs } from '../../core/stanza.js';
import { roomOptions } from './options/index.js';
import type { RoomConfig } from './options/option.js';
import type { PersistedRoom } from './room.js';
import { MucService } from './service.js';
import type {} from './service-decl.js';

export default defineModule({
  name: 'muc',
  xeps: [
    {
      number: 45, version: '1.35.1', status: 'partial',
      note: 'rooms, roles, affiliations, config form, history, invitations, voice requests, destruction, persistence, reserved-nick discovery (§7.12); no registration (§7.10), no IQ proxying to occupants',
    },
    { number: 313, version: '1.1.3', status: 'complete', note: 'room archives (§5.1.2) when logging is on, through the mam module' },
    { number: 359, version: '0.7.0', status: 'complete', note: 'stanza-id by the room on every room message' },
    { number: 421, version: '1.0.1', status: 'complete', note: 'HMAC of the real bare JID under a per-room secret' },
    { number: 410, version: '1.1.0', status: 'complete', note: 'the service answers self-pings (§3.3)' },
    { number: 425, version: '0.3.0', status: 'complete', note: 'retraction by moderators; archive tombstones' },
    { number: 424, version: '0.4.2', status: 'partial', note: 'the MUC side of moderated retraction only' },
    { number: 249, version: '1.2', status: 'complete', note: 'client to client; nothing for the service to do (§3: clients advertise jabber:x:conference); kept in offline storage like any message' },
  ],
  options: (host) => host.muc,
  // The room archive's durability is deferred: a crash may lose its last second, never a message already sent to the occupants.
  stores: { rooms: map<PersistedRoom>('muc_rooms'), archive: archive<string>('muc_mam', { durability: 'deferred' }), tombstones: map<string>('muc_tombstones') },
  async setup(ctx) {
    const o = ctx.options;
    if (!o.enabled) return;
    const limits = { maxOccupants: o.max_occupants, maxHistory: o.max_history, maxMessageBytes: o.max_message_bytes, rate: o.message_rate, burst: o.message_burst };
    const defaults = Object.assign({}, ...roomOptions.map((opt) => opt.defaults), {
      maxUsers: o.max_occupants, historyLength: Math.min(20, o.max_history),
      ...(o.public_rooms ? {} : { public: false }),
    }) as RoomConfig;
    const isAnonymous = (jid: Jid) => ctx.router.host(jid.domain)?.sessions.byFull(jid)?.anonymous === true;
    const svc = new MucService({
      domain: o.domain, limits, defaults, store: ctx.stores.rooms, log: ctx.log,
      route: (stanza) => ctx.router.route(stanza),
      publicRooms: o.public_rooms,
      // A throwaway SASL ANONYMOUS identity does not create rooms (§10.1.1: not-allowed).
      mayCreate: (from: Jid) => ctx.router.host(from.domain) !== undefined && from.local !== '' && !isAnonymous(from),
    });
    for (const opt of roomOptions) opt.install(svc.events, { maxOccupants: o.max_occupants, maxHistory: o.max_history, publicRooms: o.public_rooms, isAnonymous });

    // The extensions (ext/*.ts): room archive and stanza-ids, occupant ids, self-ping, moderation, nicknames.
    const roomArchive = new RoomArchive({ store: ctx.stores.archive, tombstones: ctx.stores.tombstones, mam: () => ctx.services.maybe('mam'), send: async (el) => { await ctx.router.route(el); } });
    svc.archive = roomArchive.append;
    roomArchive.install(svc.events);
    installOccupantId(svc.events);
    installSelfPing(svc.events);
    installModeration(svc.events);
    svc.roomIqs.push(roomArchive.iq, moderationIq(roomArchive), reservedNickIq(
      async (u) => ctx.services.maybe('profile')?.nickname(u),
      (j) => j.domain === ctx.host && j.local !== '',
    ));
    // Groups that work on phones (options/offline-members.ts): absent members get the message in offline storage (and a push).
    svc.events.on('room/message', ({ room, stanza }) => {
      if (!room.config.offlineMembers) return;
      const offline = ctx.services.maybe('offline');
      if (!offline) return;
      const present = new Set(room.occupantList().map((x) => x.bare.bareString));
      for (const [bare, rec] of room.affiliations) {
        if (affRank(rec.affiliation) < affRank('member') || present.has(bare)) continue;
        const j = Jid.tryParse(bare);
        if (!j || j.domain !== ctx.host || !j.local || ctx.sessions.resourcesOf(j.local)?.size) continue;
        const accounts = ctx.services.maybe('accounts');
        (accounts ? accounts.exists(j.local) : Promise.resolve(true))
          .then((ok) => (ok ? offline.store(j.local, withAttrs(stanza, { to: bare })) : false))
          .catch((err) => ctx.log.warn({ err, user: j.local, room: room.jid.bareString }, 'keeping a room message for an absent member failed'));
      }
    });
    // Seed 5.18: the operator may find the account behind an anonymous occupant (never shown to occupants).
    svc.events.on('room/joined', ({ room, occupant }) => {
      ctx.log.info({ room: room.jid.bareString, nick: occupant.nick, occupantId: occupantId(room, occupant.bare.bareString), jid: occupant.bare.bareString }, 'occupant joined');
    });
    // Seed 5.12: a temporary group that ended leaves the bookmarks (XEP-0402) of its local creator and members.
    svc.events.on('room/destroyed', ({ room }) => {
      if (!(room.config.lifetime > 0)) return;
      const pep = ctx.services.maybe('pep');
      if (!pep) return;
      const who = new Set([room.config.creator, ...[...room.affiliations].filter(([, r]) => r.affiliation !== 'outcast').map(([j]) => j)]);
      for (const bare of who) {
        const j = bare ? Jid.tryParse(bare) : undefined;
        if (!j || j.domain !== ctx.host || !j.local) continue;
        pep.retract(j.local, 'urn:xmpp:bookmarks:1', room.jid.bareString, { module: 'muc' })
          .catch((err) => ctx.log.warn({ err, user: j.local, room: room.jid.bareString }, 'retracting a bookmark failed'));
      }
    });

    await svc.load();
    for (const room of svc.rooms.values()) {
      if (room.config.logging) room.history.push(...(await roomArchive.history(room, Math.min(room.config.historyLength, o.max_history))));
    }
    const sweep = setInterval(() => { for (const r of [...svc.rooms.values()]) reap(r); }, 1000);
    sweep.unref();
    const reg = ctx.router.addComponent(o.domain, svc);
    ctx.provide('muc', { domain: o.domain, events: svc.events, room: (jid) => svc.room(jid) });
    // XEP-0045 §6.1: the server lists its MUC service among its items.
    ctx.fold('disco/items/host', (items, c) => (c.node === undefined ? [...items, xml('item', { jid: o.domain, name: 'Chatrooms' })] : items));
    ctx.onUnload(async () => {
      clearInterval(sweep);
      svc.shutdown();
      reg.dispose();
      await svc.flush();
    });
  },
});
