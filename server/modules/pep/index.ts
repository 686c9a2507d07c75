/**
 * XEP-0163 Personal Eventing Protocol 1.2.2 on each account's bare JID, with the XEP-0060 subset it
 * needs: §7.1 publish (auto-create §7.1.4 of XEP-0163's §4.2 / XEP-0060, item ids, max_items),
 * §7.1.5 publish-options, §7.2 retract (notify), §6.5 retrieve items (all, by id, max_items),
 * §8.1 create, §8.2 configure (the node_config fields in config.ts), §8.4 delete; access models
 * open / presence / roster / whitelist (owner only) per §4.5. XEP-0163 §4.3: notifications to the
 * owner's resources and to contacts with a presence subscription, filtered by XEP-0115 +notify;
 * §4.3.3 the last item on presence (and when caps add +notify). §9 disco: the account is a
 * pubsub/pep service and its disco#items lists the nodes the requester may see.
 * XEP-0223 (private data, whitelist + persist_items) and XEP-0084 (avatar nodes) are node
 * configurations that this module serves as any other; config.ts has the avatar data default.
 */
import type {} from '../caps/service.js';
import type {} from '../disco/service.js';
import type {} from '../roster/service.js';
import { Priority } from '../../core/events.js';
import { defineModule, map } from '../../core/module.js';
import type { Session } from '../../core/sessions.js';
import { xml } from '../../core/stanza.js';
import { accessDenied } from './access.js';
import { PepEngine } from './engine.js';
import { ownerGet, ownerSet, pubsubGet, pubsubSet } from './handlers.js';
import { PepStore } from './store.js';
import { type NodeRecord, NS_PUBSUB, NS_PUBSUB_OWNER } from './types.js';

const FEATURES = [
  'publish', 'publish-options', 'auto-create', 'access-open', 'access-presence', 'access-roster', 'access-whitelist',
  'retrieve-items', 'retract-items', 'delete-nodes', 'config-node', 'persistent-items', 'last-published', 'item-ids',
  'multi-items', 'create-nodes', 'create-and-configure', 'delete-items',
];
/** The nodes a session's caps asked for (XEP-0163 §4.3.4), as last seen. */
const INTEREST = Symbol('pep interest');

export default defineModule({
  name: 'pep',
  xeps: [
    { number: 163, version: '1.2.2', status: 'complete', note: 'notifications and last items to local contacts only (no s2s yet)' },
    { number: 60, version: '1.30.0', status: 'partial', note: 'the PEP subset: publish (+options), retract, items, create, configure, delete; no explicit subscriptions or affiliations' },
    { number: 223, version: '1.1.1', status: 'complete' },
    { number: 84, version: '1.1.4', status: 'complete', note: 'the data and metadata nodes; the data node does not send its last item on presence' },
  ],
  depends: ['roster', 'caps', 'disco'],
  stores: { nodes: map<NodeRecord>('pep') },
  options: () => ({ maxItems: 256, maxNodes: 256, cacheUsers: 1000 }),
  setup(ctx) {
    const store = new PepStore(ctx.stores.nodes, ctx.options.cacheUsers);
    const roster = () => ctx.services.maybe('roster');
    const caps = ctx.services.get('caps');
    const engine = new PepEngine({
      host: ctx.host, store, sessions: ctx.sessions, roster, log: ctx.log,
      features: (s) => caps.features(s), send: (st) => ctx.send(st),
      maxItemsLimit: ctx.options.maxItems, maxNodes: ctx.options.maxNodes,
    });
    ctx.provide('pep', engine.service);

    const deps = { host: ctx.host, engine, store, roster };
    ctx.iq.set(NS_PUBSUB, 'pubsub', pubsubSet(deps), 'bare');
    ctx.iq.get(NS_PUBSUB, 'pubsub', pubsubGet(deps), 'bare');
    ctx.iq.get(NS_PUBSUB_OWNER, 'pubsub', ownerGet(deps), 'bare');
    ctx.iq.set(NS_PUBSUB_OWNER, 'pubsub', ownerSet(deps), 'bare');

    for (const f of FEATURES) ctx.features.add(`${NS_PUBSUB}#${f}`, { account: true });
    ctx.fold('disco/info/account', (info, c) => (c.node === undefined
      ? { ...info, identities: [...info.identities, { category: 'pubsub', type: 'pep' }] }
      : info));
    const stop = ctx.services.get('disco').addAccountItems(async (c) => {
      const owner = c.to.local;
      const out = [];
      for (const [node, rec] of await store.nodes(owner)) {
        if (!(await accessDenied(c.from, owner, ctx.host, rec.config, roster()))) out.push(xml('item', { jid: c.to.bareString, node }));
      }
      return out;
    });
    ctx.onUnload(() => stop.dispose());

    // After the caps module noted the presence (same priority, registered earlier); never consumes it.
    // Not awaited: resolving caps may ask this very session, whose input waits for this handler.
    const onPresence = (s: Session) => {
      (async () => {
        const features = await caps.features(s);
        const wanted = new Set<string>();
        for (const f of features ?? []) if (f.endsWith('+notify')) wanted.add(f.slice(0, -'+notify'.length));
        const before = (s.state.get(INTEREST) as Set<string> | undefined) ?? new Set<string>();
        s.state.set(INTEREST, wanted);
        await engine.sendLastItems(s, new Set([...wanted].filter((n) => !before.has(n))));
      })().catch((err) => ctx.log.error({ err }, 'pep last items failed'));
    };
    ctx.hook('pre-presence/self', ({ stanza, origin }) => {
      if (!origin?.jid) return;
      if (stanza.attrs.type === undefined) onPresence(origin);
      else if (stanza.attrs.type === 'unavailable') origin.state.delete(INTEREST);
    }, Priority.Intercept);

    ctx.hook('user/deleting', async ({ username }) => { await store.deleteUser(username); });
  },
});
