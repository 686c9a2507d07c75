/**
 * Offline messages: XEP-0160 §2 (store, then deliver to the next resource with non-negative
 * available presence), §4 (the msgoffline disco feature), with XEP-0203 delay stamps; the storage
 * branch of RFC 6121 §8.5.2.2.1. Which message types are stored (XEP-0160 §3) is decided by the
 * message module. The service it provides, ordering and crash safety: service.ts.
 *
 * Lifetime: a stored message is dropped undelivered after the host's max_age_s, after its
 * XEP-0023 jabber:x:expire TTL (the TTL left is what the recipient gets, stanza.ts), or when a
 * XEP-0079 rule stops it (the amp module's service decides and reports, XEP-0079 §7). A sweep
 * every sweep_interval_s deletes what has expired.
 */
import { Priority } from '../../core/events.js';
import { archive, defineModule } from '../../core/module.js';
import { createOffline } from './service.js';

export default defineModule({
  name: 'offline',
  xeps: [
    { number: 160, version: '1.0.1', status: 'complete' },
    { number: 203, version: '2.0', status: 'partial', note: 'stamps messages kept in offline storage' },
    { number: 23, version: '1.3', status: 'complete', note: 'jabber:x:expire on stored messages: dropped after the TTL, delivered with the TTL left' },
  ],
  rfcs: ['RFC 6121 §8.5.2.2.1 (offline storage of chat and normal messages)'],
  stores: { messages: archive<string>('offline') },
  options: (host) => ({
    maxMessages: host.offline.max_messages,
    maxBytes: host.offline.max_bytes,
    maxAgeMs: host.offline.max_age_s * 1000,
    sweepMs: host.offline.sweep_interval_s * 1000,
  }),
  setup(ctx) {
    const offline = createOffline({
      archive: ctx.stores.messages,
      domain: ctx.host,
      maxMessages: ctx.options.maxMessages,
      maxBytes: ctx.options.maxBytes,
      maxAgeMs: ctx.options.maxAgeMs,
      amp: () => ctx.services.maybe('amp'),
      sessions: ctx.sessions,
      log: ctx.log,
    });
    ctx.provide('offline', {
      store: async (username, stanza) => {
        const stored = await offline.store(username, stanza);
        if (stored) ctx.fire('message/offline', { stanza, username });
        return stored;
      },
      count: offline.count,
      whenSettled: offline.whenSettled,
    });
    ctx.features.add('msgoffline');
    // Not awaited: other handlers of the presence need not wait for a long backlog to go out.
    ctx.hook('session/initial-presence', ({ session }) => { void offline.deliver(session); }, Priority.Intercept);
    ctx.hook('user/deleting', ({ username }) => offline.purge(username));
    let sweeping = false;
    ctx.interval(ctx.options.sweepMs, () => {
      if (sweeping) return;
      sweeping = true;
      offline.sweep()
        .then((n) => { if (n > 0) ctx.log.debug({ expired: n }, 'offline sweep'); })
        .catch((err: unknown) => { ctx.log.error({ err }, 'offline sweep failed'); })
        .finally(() => { sweeping = false; });
    });
  },
});
