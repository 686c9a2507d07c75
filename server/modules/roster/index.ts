/**
 * Roster management: RFC 6121 §2 (get §2.2, set §2.3–§2.4, remove §2.5, pushes §2.1.6,
 * versioning §2.6). The subscription states the items carry are changed by the presence module
 * through the `roster` service; a removal's unsubscribe/unsubscribed (§2.5.2) are the presence
 * module's too, and sent from here only when it is not loaded.
 */
import { xml } from '../../core/stanza.js';
import { defineModule, map } from '../../core/module.js';
import { NS_ROSTER, NS_ROSTER_VER_FEATURE } from './codec.js';
import { notYours, rosterGet, type RosterOptions, rosterSet } from './handlers.js';
import { type RemovalListener, Roster, type RosterEntry } from './service.js';

export default defineModule({
  name: 'roster',
  description: 'Contact lists with groups, pushes and versioning',
  rfcs: ['RFC 6121 §2 (roster management)', 'RFC 6121 §2.6 (roster versioning)'],
  stores: { roster: map<RosterEntry>('roster') },
  options: (): RosterOptions & { cacheUsers: number } => ({
    maxItems: 1000,
    maxNameLength: 1023,
    maxGroupLength: 1023,
    maxGroups: 64,
    cacheUsers: 10_000,
  }),
  setup(ctx) {
    const fallbackRemoval: RemovalListener = async (username, contact, removed) => {
      const from = `${username}@${ctx.host}`;
      if (removed.subscription === 'to' || removed.subscription === 'both' || removed.ask) ctx.send(xml('presence', { type: 'unsubscribe', from, to: contact }));
      if (removed.subscription === 'from' || removed.subscription === 'both') ctx.send(xml('presence', { type: 'unsubscribed', from, to: contact }));
    };
    const roster = new Roster({ store: ctx.stores.roster, sessions: ctx.sessions, log: ctx.log, cacheUsers: ctx.options.cacheUsers, fallbackRemoval });
    ctx.provide('roster', roster.service);

    ctx.iq.get(NS_ROSTER, 'query', (req) => rosterGet(roster, req, ctx.log), 'self');
    ctx.iq.set(NS_ROSTER, 'query', (req) => rosterSet(roster, req, ctx.options, ctx.log), 'self');
    ctx.iq.get(NS_ROSTER, 'query', notYours, 'bare');
    ctx.iq.set(NS_ROSTER, 'query', notYours, 'bare');

    ctx.fold('stream/features', (features, f) => (f.authenticated ? [...features, xml('ver', { xmlns: NS_ROSTER_VER_FEATURE })] : features));
    ctx.hook('user/deleting', async ({ username }) => { await roster.purge(username); });
  },
});
