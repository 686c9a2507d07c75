/**
 * XEP-0357 Push Notifications (0.4.1), the user's-server side: §4.1 the account disco feature,
 * §5 enabling (with publish options), §6 disabling, §7 publishing a urn:xmpp:push:summary
 * notification to each registered app server when a message reaches a user whose device is
 * offline or hibernated (XEP-0198), §7.1 publish errors. Which registrations a message wakes:
 * targets.ts; coalescing, counts and failure handling: notifier.ts; requests and storage:
 * registrations.ts. §9: the body is sent only if the operator enables it (push.include_body).
 */
import { StanzaError } from '../../core/errors.js';
import { Priority } from '../../core/events.js';
import { defineModule, map } from '../../core/module.js';
import { KeyedSerial } from '../../core/serial.js';
import { warrantsNotification } from './notification.js';
import { Notifier } from './notifier.js';
import { NS_PUSH, parseDisable, parseEnable, type Registration, registrationStore } from './registrations.js';
import { deliveredTargets, offlineTargets } from './targets.js';

const PUBLISH_TIMEOUT_MS = 30_000;
const MAX_TIMEOUTS = 3;

export default defineModule({
  name: 'push',
  xeps: [{ number: 357, version: '0.4.1', status: 'complete', note: 'user\'s server side; notifications for messages' }],
  stores: { registrations: map<Registration>('push') },
  options: (host) => ({
    includeBody: host.push.include_body,
    includeSender: host.push.include_sender,
    intervalMs: host.push.min_interval_s * 1000,
    maxRegistrations: host.push.max_registrations,
  }),
  setup(ctx) {
    const store = registrationStore(ctx.stores.registrations, ctx.options.maxRegistrations);
    // Enable, disable and automatic removal are read-modify-writes of one user's map.
    const perUser = new KeyedSerial();
    const notifier = new Notifier({
      domain: ctx.host,
      intervalMs: ctx.options.intervalMs,
      timeoutMs: PUBLISH_TIMEOUT_MS,
      maxTimeouts: MAX_TIMEOUTS,
      includeBody: ctx.options.includeBody,
      includeSender: ctx.options.includeSender,
      request: (iq, ms) => ctx.iq.request(iq, ms),
      disable: async (username, reg, reason) => {
        if (await perUser.run(username, () => store.drop(username, reg))) {
          ctx.log.info({ username, appServer: reg.jid, reason }, 'push: registration disabled after a failed publish');
        }
      },
      log: ctx.log,
    });
    ctx.onUnload(() => notifier.close());

    ctx.features.add(NS_PUSH, { account: true });

    ctx.iq.set(NS_PUSH, 'enable', async ({ payload, origin }) => {
      // Only the account's own client, connected here, may register its device.
      if (!origin?.username || !origin.jid) throw new StanzaError('not-allowed');
      const username = origin.username;
      const req = parseEnable(payload, origin.jid);
      const dropped = await perUser.run(username, () => store.enable(username, req, origin.jid!.resource, Date.now()));
      notifier.forget(username, req);
      for (const d of dropped) notifier.forget(username, d);
      return true as const;
    }, 'self');

    ctx.iq.set(NS_PUSH, 'disable', async ({ payload, origin }) => {
      if (!origin?.username || !origin.jid) throw new StanzaError('not-allowed');
      const username = origin.username;
      const req = parseDisable(payload, origin.jid);
      const removed = await perUser.run(username, () => store.disable(username, req));
      for (const r of removed) notifier.forget(username, r);
      return true as const;
    }, 'self');

    const registrationsOf = async (username: string): Promise<Registration[]> => {
      try {
        return await store.list(username);
      } catch (err) {
        ctx.log.error({ err, username }, 'push: could not read registrations');
        return [];
      }
    };

    ctx.hook('message/offline', async ({ stanza, username }) => {
      if (!warrantsNotification(stanza)) return;
      notifier.message(username, stanza, offlineTargets(await registrationsOf(username)));
    });

    ctx.hook('message/delivered', ({ stanza, username, sessions }) => {
      // The common case (every recipient connected) costs no storage read.
      if (!sessions.some((s) => s.hibernated) || !warrantsNotification(stanza)) return;
      return registrationsOf(username).then((regs) => { notifier.message(username, stanza, deliveredTargets(regs, sessions)); });
    }, Priority.Default);

    const online = ({ session }: { session: { username?: string; hibernated: boolean } }) => {
      if (session.username && !session.hibernated) notifier.reset(session.username);
    };
    ctx.hook('session/initial-presence', online);
    ctx.hook('session/resumed', online);
    ctx.hook('user/deleting', ({ username }) => { notifier.forgetUser(username); });
  },
});
