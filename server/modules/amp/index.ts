/**
 * XEP-0079 Advanced Message Processing on the recipient's host: §2.1.1 discovery (the amp feature,
 * and the node listing the actions and conditions supported), §2.2 server processing of
 * expire-at (§3.3.2) with the alert, drop, error and notify actions (§3.4), §6 errors, §9 reports
 * only to senders allowed to see the recipient's presence. Stored messages are checked again by
 * the offline module through the `amp` service when delivered or swept (§7). Logic: rules.ts.
 *
 * Its own module rather than part of offline or message: rules apply to live delivery too (a
 * message already expired on arrival), and neither of those modules should know AMP's vocabulary.
 * Rules run for local recipients only: with s2s, §2.2.4 would also need the next server's support.
 */
import type { HookResult, StanzaEvent } from '../../core/events.js';
import { HANDLED, Priority } from '../../core/events.js';
import { defineModule } from '../../core/module.js';
import { ACTIONS, CONDITIONS, NS_AMP } from './rules.js';
import { createAmp } from './service.js';

export default defineModule({
  name: 'amp',
  xeps: [{ number: 79, version: '1.2', status: 'partial', note: 'expire-at with alert, drop, error and notify; deliver and match-resource answered unsupported-conditions' }],
  setup(ctx) {
    const amp = createAmp({
      host: ctx.host,
      send: (stanza) => ctx.send(stanza),
      roster: () => ctx.services.maybe('roster'),
    });
    ctx.provide('amp', { deadline: amp.deadline, apply: amp.apply });
    ctx.features.add(NS_AMP);
    ctx.fold('disco/info/host', (info, c) => {
      if (c.node !== NS_AMP) return info;
      return {
        identities: [...info.identities, { category: 'server', type: 'im', name: 'Tern AMP support' }],
        features: [...info.features, NS_AMP, ...ACTIONS.map((a) => `${NS_AMP}?action=${a}`), ...CONDITIONS.map((c2) => `${NS_AMP}?condition=${c2}`)],
        extensions: info.extensions,
      };
    });
    const arrive = (ev: StanzaEvent): HookResult | Promise<HookResult> => {
      const go = amp.arrive(ev.stanza);
      if (go === true) return undefined;
      if (go === false) return HANDLED;
      return go.then((ok) => (ok ? undefined : HANDLED));
    };
    // After blocking and privacy rules (a blocked sender learns nothing), before delivery.
    ctx.hook('message/bare', arrive, Priority.Intercept);
    ctx.hook('message/full', arrive, Priority.Intercept);
  },
});
