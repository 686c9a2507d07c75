/**
 * XEP-0191 Blocking Command 1.3: §3.1 the urn:xmpp:blocking disco feature, §3.2 block list
 * retrieval, §3.3 block (bad-request without items, jid-malformed for an item that cannot be
 * prepared), §3.4 unblock, §3.5 unblock all, each pushed to every resource that retrieved the list;
 * the handling of blocked stanzas (filter.ts) and JID matching by XEP-0016 §2.1 (match.ts).
 * Storage: one keyval record per user, with a bounded cache (list.ts).
 */
import type { Element } from '@xmpp/xml';
import { HANDLED, Priority, type StanzaEvent } from '../../core/events.js';
import type { Jid } from '../../core/jid.js';
import { defineModule, keyval } from '../../core/module.js';
import { createCommands } from './commands.js';
import { inbound, NS_BLOCKING, outbound } from './filter.js';
import { createBlockLists } from './list.js';
import { anyMatches } from './match.js';
import type {} from './service.js';

const MAX_CACHED_LISTS = 10_000;
const MAX_ITEMS = 10_000;

export default defineModule({
  name: 'blocking',
  xeps: [{ number: 191, version: '1.3', status: 'complete', note: 'domain, bare, full and domain/resource items matched as XEP-0016 §2.1; unavailable presence to a newly blocked roster contact (directed presence is not tracked here)' }],
  depends: ['roster'],
  stores: { blocklist: keyval<string[]>('blocklist') },
  setup(ctx) {
    const lists = createBlockLists(ctx.stores.blocklist, MAX_CACHED_LISTS, MAX_ITEMS, ctx.log);
    const isBlocked = (username: string, jid: Jid): boolean | Promise<boolean> => {
      const l = lists.get(username);
      return Array.isArray(l) ? anyMatches(l, jid) : l.then((x) => anyMatches(x, jid));
    };
    ctx.provide('blocking', { isBlocked });

    const exempt = new WeakSet<Element>();
    const commands = createCommands({
      lists,
      sessions: ctx.sessions,
      roster: () => ctx.services.maybe('roster'),
      routeExempt: (stanza) => {
        exempt.add(stanza);
        ctx.send(stanza);
      },
    });
    ctx.features.add(NS_BLOCKING);
    ctx.iq.get(NS_BLOCKING, 'blocklist', commands.get, 'self');
    ctx.iq.set(NS_BLOCKING, 'block', commands.block, 'self');
    ctx.iq.set(NS_BLOCKING, 'unblock', commands.unblock, 'self');

    const out = outbound(ctx.host, isBlocked);
    for (const k of ['message', 'presence', 'iq'] as const) {
      for (const a of ['bare', 'full', 'host'] as const) ctx.hook(`pre-${k}/${a}`, out, Priority.Privacy);
    }

    /** Whether a local user who sent `from` (maybe on another host of this server) blocks `to`. */
    const senderBlocks = (from: Jid, to: Jid): boolean | Promise<boolean> => {
      if (!from.local) return false;
      const svc = from.domain === ctx.host ? { isBlocked } : ctx.router.host(from.domain)?.services.maybe('blocking');
      return svc ? svc.isBlocked(from.local, to) : false;
    };
    const inb = inbound(ctx.host, isBlocked, senderBlocks, exempt);
    for (const k of ['message', 'presence', 'iq'] as const) {
      for (const a of ['bare', 'full'] as const) ctx.hook(`${k}/${a}`, inb, Priority.Privacy);
    }
    // What the server sends for a user to a remote JID the user blocks (s2s takes route/remote).
    ctx.hookGlobal('route/remote', (ev: StanzaEvent) => {
      if (ev.stanza.attrs.type === 'error' || ev.from.domain !== ctx.host || !ev.from.local || exempt.has(ev.stanza)) return undefined;
      const r = isBlocked(ev.from.local, ev.to);
      const drop = (b: boolean) => (b ? HANDLED : undefined);
      return typeof r === 'boolean' ? drop(r) : r.then(drop);
    }, Priority.Privacy);

    ctx.hook('user/deleting', ({ username }) => lists.forget(username));
  },
});
