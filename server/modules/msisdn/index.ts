/**
 * Phone numbers as addresses (issue 8; seed §6.1 "add … by using an MSISDN", 5.14, GO-3, PP-45):
 * the wiring of gateways/msisdn on one host.
 *   - a directory of E.164 numbers per account (operator links and verifies; users claim and
 *     choose discoverability, urn:tern:msisdn:0, user.ts);
 *   - XEP-0100 §6.3 jabber:iq:gateway translation and addressing by number on msisdn.<domain>
 *     (gateway.ts), listed in the host's disco#items;
 *   - across domains: ENUM (RFC 6116; E2U+xmpp RFC 4979, E2U+im RFC 5028), then the prefix table and
 *     a jabber:iq:gateway query to msisdn.<partner> through the router (s2s when it is loaded);
 *   - the `msisdn` service (lookup, reverse, provisioning) for other modules and `tern msisdn`.
 */
import { Resolver } from 'node:dns/promises';
import type { Element } from '@xmpp/xml';
import { NS_STANZAS, StanzaError } from '../../core/errors.js';
import { Priority } from '../../core/events.js';
import { Jid } from '../../core/jid.js';
import { defineModule, keyval } from '../../core/module.js';
import { xml } from '../../core/stanza.js';
import { TtlCache } from '../../../gateways/msisdn/cache.js';
import { type MsisdnRecord, MsisdnDirectory } from '../../../gateways/msisdn/directory.js';
import { normalise } from '../../../gateways/msisdn/e164.js';
import { PrefixTable } from '../../../gateways/msisdn/prefixes.js';
import { RateLimit } from '../../../gateways/msisdn/rate.js';
import { MsisdnResolver, type Via } from '../../../gateways/msisdn/resolver.js';
import { provisionCommand } from './admin.js';
import { handleStanza, NS_GATEWAY } from './gateway.js';
import type { MsisdnService } from './service.js';
import { NS_MSISDN, numberArg, numbersOf, parseBool } from './user.js';

export default defineModule({
  name: 'msisdn',
  xeps: [{ number: 100, version: '1.0', status: 'partial', note: '§6.3 translation to the account JID and addressing by number; no legacy registration (§4.1)' }],
  rfcs: ['RFC 6116 ENUM (NAPTR, terminal u records, regexp with back-references)', 'RFC 4979 E2U+xmpp', 'RFC 5028 E2U+im'],
  stores: { numbers: keyval<MsisdnRecord>('msisdn') },
  options: (h) => h.msisdn,
  setup(ctx) {
    const o = ctx.options;
    if (!o.enabled) return;
    const norm = (s: string) => normalise(s, o.default_region);
    const dir = new MsisdnDirectory({ store: ctx.stores.numbers, discoverableByDefault: o.discoverable_by_default });
    const local = async (e164: string) => {
      const u = await dir.resolve(e164);
      return u === undefined ? undefined : Jid.of(u, ctx.host);
    };

    let dns: Resolver | undefined;
    if (o.enum_suffixes.length > 0) {
      dns = new Resolver({ timeout: o.lookup_timeout_ms, tries: 1 });
      if (o.enum_servers.length > 0) dns.setServers(o.enum_servers);
    }
    const resolver = new MsisdnResolver({
      local,
      dns,
      suffixes: o.enum_suffixes,
      prefixes: new PrefixTable(o.prefixes),
      isOwnDomain: (d) => d === ctx.host,
      askPartner: async (domain, e164) => {
        const iq = xml('iq', { type: 'set', from: ctx.host, to: `msisdn.${domain}` },
          xml('query', { xmlns: NS_GATEWAY }, xml('prompt', {}, e164)));
        let res;
        try {
          res = await ctx.iq.request(iq, o.lookup_timeout_ms);
        } catch (err) {
          // The partner answered that nobody has the number: a definite "no", not a failure.
          const error = (err as { stanza?: Element }).stanza?.getChild('error');
          if (error?.getChild('item-not-found', NS_STANZAS)) return undefined;
          // Any other answer (forbidden, resource-constraint, …) is a failure; say which in the log.
          const condition = error?.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS_STANZAS)?.name;
          if (condition) throw new Error(`partner answered ${condition}`);
          throw err;
        }
        const jid = Jid.tryParse(res.getChild('query', NS_GATEWAY)?.getChildText('jid') ?? undefined);
        if (!jid?.local) throw new StanzaError('service-unavailable', 'partner gave no JID');
        return jid.bare;
      },
      cache: new TtlCache<{ jid: Jid; via: Via } | null>(o.cache_max_entries),
      ttlMs: o.cache_ttl_s * 1000,
      negativeTtlMs: o.negative_cache_ttl_s * 1000,
      log: ctx.log,
    });

    const userRate = new RateLimit(o.user_lookups_per_minute);
    const peerRate = new RateLimit(o.peer_lookups_per_minute);
    ctx.interval(60_000, () => { userRate.prune(); peerRate.prune(); });
    const deps = {
      host: ctx.host,
      domain: o.domain,
      allowedPeers: new Set(o.allowed_peers),
      userRate,
      peerRate,
      normalise: norm,
      resolve: async (e164: string) => (await resolver.resolve(e164)).jid,
      resolveLocal: local,
      send: (s: Element) => ctx.send(s),
    };
    const component = ctx.router.addComponent(o.domain, {
      deliver: (stanza, from, to) => {
        handleStanza(deps, stanza, from, to).catch((err) => ctx.log.error({ err }, 'msisdn gateway failed'));
      },
    });
    ctx.onUnload(() => component.dispose());
    ctx.fold('disco/items/host', (items, c) => (c.node === undefined ? [...items, xml('item', { jid: o.domain, name: 'Phone numbers' })] : items), Priority.Default);

    const service: MsisdnService = {
      normalise: norm,
      lookup: async (e164) => (await resolver.resolve(e164)).jid,
      reverse: async (u) => (await dir.numbers(u)).filter((n) => n.verified).map((n) => n.e164),
      link: (u, e164) => dir.link(u, e164),
      unlink: (e164) => dir.unlink(e164),
      verify: (e164) => dir.verify(e164),
      show: async (u) => ({ numbers: await dir.numbers(u), discoverable: await dir.discoverable(u) }),
      owner: (e164) => dir.owner(e164),
    };
    ctx.provide('msisdn', service);
    const adhoc = ctx.services.maybe('adhoc');
    if (adhoc) {
      const command = adhoc.register(provisionCommand({ host: ctx.host, admins: new Set(ctx.hostConfig.admins), msisdn: () => service }));
      ctx.onUnload(() => command.dispose());
    }

    ctx.iq.get(NS_MSISDN, 'numbers', ({ from }) => numbersOf(dir, from.local), 'self');
    ctx.iq.set(NS_MSISDN, 'numbers', async ({ from, payload }) => {
      await dir.setDiscoverable(from.local, parseBool(payload.attrs.discoverable));
      return true as const;
    }, 'self');
    ctx.iq.set(NS_MSISDN, 'claim', async ({ from, payload }) => {
      await dir.claim(from.local, numberArg(payload, norm));
      return true as const;
    }, 'self');
    ctx.iq.set(NS_MSISDN, 'release', async ({ from, payload }) => {
      await dir.unlink(numberArg(payload, norm), from.local);
      return true as const;
    }, 'self');
    ctx.hook('user/deleting', async ({ username }) => { await dir.removeUser(username); });
  },
});
