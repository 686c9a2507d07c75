/**
 * Offline messages: XEP-0160 §2 (store, then deliver to the next resource with non-negative
 * available presence), §4 (the msgoffline disco feature), with XEP-0203 delay stamps; the storage
 * branch of RFC 6121 §8.5.2.2.1. Which message types are stored (XEP-0160 §3) is decided by the
 * message module. The service it provides, ordering and crash safety: service.ts.
 */
import { Priority } from '../../core/events.js';
import { archive, defineModule } from '../../core/module.js';
import { createOffline } from './service.js';

export default defineModule({
  name: 'offline',
  xeps: [
    { number: 160, version: '1.0.1', status: 'complete' },
    { number: 203, version: '2.0', status: 'partial', note: 'stamps messages kept in offline storage' },
  ],
  rfcs: ['RFC 6121 §8.5.2.2.1 (offline storage of chat and normal messages)'],
  stores: { messages: archive<string>('offline') },
  options: (host) => ({ maxMessages: host.offline.max_messages }),
  setup(ctx) {
    const offline = createOffline({
      archive: ctx.stores.messages,
      domain: ctx.host,
      maxMessages: ctx.options.maxMessages,
      sessions: ctx.sessions,
      log: ctx.log,
    });
    ctx.provide('offline', {
      store: async (username, stanza) => {
        await offline.store(username, stanza);
        ctx.fire('message/offline', { stanza, username });
      },
      count: offline.count,
      whenSettled: offline.whenSettled,
    });
    ctx.features.add('msgoffline');
    // Not awaited: other handlers of the presence need not wait for a long backlog to go out.
    ctx.hook('session/initial-presence', ({ session }) => { void offline.deliver(session); }, Priority.Intercept);
    ctx.hook('user/deleting', ({ username }) => offline.purge(username));
  },
});
