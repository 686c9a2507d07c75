/**
 * SASL ANONYMOUS (RFC 4505) as XEP-0175 (1.2) §3 recommends: off unless the operator enables it
 * per host (hosts[].anonymous_login.enabled); the stream offers it only over TLS; each session gets
 * a server-chosen JID that is unique and is no account, and logins per address are limited.
 *
 * Decisions (XEP-0175 §2 allows a separate domain): the session lives on the host itself, under a
 * random UUID localpart (RFC 4122 version 4, as §3 recommends), so it can chat with the host's users and join its rooms;
 * rooms tell anonymous users apart with tern#roomconfig_allowanonymous. While the session lives
 * the localpart is reserved (registration gets conflict) and counts as a user of the host (the
 * accounts service's exists(), so delivery, presence and archives treat it as one); when it ends
 * everything stored under it (roster, archive, private data, last activity, ...) is purged, so
 * nothing accumulates and the JID never works again. In-band registration and password changes
 * are refused for anonymous sessions by the register module. Following §3's first restriction,
 * stanzas an anonymous session starts towards other servers get not-allowed.
 */
import { randomUUID } from 'node:crypto';
import '../../core/anonymous.js';
import { StanzaError } from '../../core/errors.js';
import { Priority, type StanzaEvent } from '../../core/events.js';
import { defineModule } from '../../core/module.js';
import { WindowLimiter } from './limiter.js';

export default defineModule({
  name: 'anonymous',
  rfcs: ['RFC 4505 (SASL ANONYMOUS)'],
  xeps: [{
    number: 175, version: '1.2', status: 'complete',
    note: 'off by default, per host; only over TLS; UUID localpart on the host itself (disco account/anonymous), purged at logout; logins limited per address; no communication initiated with other servers (not-allowed)',
  }],
  options: (host) => host.anonymous_login,
  setup(ctx) {
    const o = ctx.options;
    if (!o.enabled) return;
    const limiter = new WindowLimiter(o.max_per_ip, o.window_s * 1000);
    const live = new Set<string>();
    // XEP-0175 §3 (restriction 1): an anonymous user does not initiate communication with other
    // servers (federation abuse); answers to IQs still go out. Local hosts and components are fine.
    const localOnly = ({ stanza, to, origin }: StanzaEvent) => {
      if (!origin?.anonymous || ctx.router.isLocal(to.domain)) return;
      if (stanza.name === 'iq' && (stanza.attrs.type === 'result' || stanza.attrs.type === 'error')) return;
      throw new StanzaError('not-allowed', 'anonymous users cannot reach other servers');
    };
    for (const kind of ['message', 'presence', 'iq'] as const) {
      for (const addr of ['full', 'bare', 'host'] as const) ctx.hook(`pre-${kind}/${addr}`, localOnly, Priority.Security);
    }

    // XEP-0175 §3 / the registry: an anonymous session's bare JID is an account/anonymous, not account/registered.
    ctx.fold('disco/info/account', (info, c) => (c.node === undefined && c.to.domain === ctx.host && live.has(c.to.local)
      ? { ...info, identities: info.identities.map((i) => (i.category === 'account' && i.type === 'registered' ? { ...i, type: 'anonymous' } : i)) }
      : info), Priority.Fallback);
    ctx.provide('anonymousLogin', {
      admit: (ip) => limiter.take(ip),
      async allocate() {
        const accounts = ctx.services.get('accounts');
        // XEP-0175 §3 recommends a UUID (RFC 4122; version 4, 122 random bits): a collision is not
        // expected, but an account or live session is never reused.
        for (;;) {
          const name = randomUUID();
          if (live.has(name)) continue;
          live.add(name);
          if ((await accounts.credentials(name)) !== undefined) {
            live.delete(name);
            continue;
          }
          return name;
        }
      },
      inUse: (username) => live.has(username),
      async release(username) {
        if (!live.has(username)) return;
        // From here on the name is no one's, so stanzas to it bounce. Whatever was stored for it
        // before goes with the purge: storage runs writes in the order they were made.
        live.delete(username);
        // The name was reserved, so no account can have taken it; checked anyway before purging.
        if ((await ctx.services.get('accounts').credentials(username)) !== undefined) return;
        // The account-deletion path: modules drop what they hold in memory (user/deleting), then the stores go.
        await ctx.notify('user/deleting', { host: ctx.host, username });
        await ctx.purgeUser(username);
      },
    });
  },
});
