/**
 * XEP-0045 Multi-User Chat as a component domain (conference.<domain> by default, the host's
 * `muc` config). The room core is room.ts (occupants, roles, affiliations, presence, fan-out,
 * history), driven by room events (events.ts) to which each room option (options/*.ts) contributes
 * its muc#roomconfig field and its rule; admin.ts (§8-§10 lists), owner.ts (§10 configuration
 * and destruction), disco.ts (§6), history.ts (§7.2.12-§7.2.15), service.ts (routing, creation,
 * persistence).
 */
import xml from '@xmpp/xml';
import { Jid } from '../../core/jid.js';
import { defineModule, map } from '../../core/module.js';
import { roomOptions } from './options/index.js';
import type { RoomConfig } from './options/option.js';
import type { PersistedRoom } from './room.js';
import { MucService } from './service.js';
import type {} from './service-decl.js';

export default defineModule({
  name: 'muc',
  xeps: [{
    number: 45, version: '1.35.1', status: 'partial',
    note: 'rooms, roles, affiliations, config form, history, invitations, voice requests, destruction, persistence; no registration (§7.10), no IQ proxying to occupants, no room-wide nick lockdown',
  }],
  options: (host) => host.muc,
  stores: { rooms: map<PersistedRoom>('muc_rooms') },
  async setup(ctx) {
    const o = ctx.options;
    if (!o.enabled) return;
    const limits = { maxOccupants: o.max_occupants, maxHistory: o.max_history, maxMessageBytes: o.max_message_bytes, rate: o.message_rate, burst: o.message_burst };
    const defaults = Object.assign({}, ...roomOptions.map((opt) => opt.defaults), {
      maxUsers: o.max_occupants, historyLength: Math.min(20, o.max_history),
    }) as RoomConfig;
    const svc = new MucService({
      domain: o.domain, limits, defaults, store: ctx.stores.rooms, log: ctx.log,
      route: (stanza) => ctx.router.route(stanza),
      mayCreate: (from: Jid) => ctx.router.host(from.domain) !== undefined && from.local !== '',
    });
    for (const opt of roomOptions) opt.install(svc.events, { maxOccupants: o.max_occupants, maxHistory: o.max_history });
    await svc.load();
    const reg = ctx.router.addComponent(o.domain, svc);
    ctx.provide('muc', { domain: o.domain, events: svc.events, room: (jid) => svc.room(jid) });
    // XEP-0045 §6.1: the server lists its MUC service among its items.
    ctx.fold('disco/items/host', (items, c) => (c.node === undefined ? [...items, xml('item', { jid: o.domain, name: 'Chatrooms' })] : items));
    ctx.onUnload(async () => {
      svc.shutdown();
      reg.dispose();
      await svc.flush();
    });
  },
});
