/**
 * Privacy rules the seed asks for (GU-5 opt-in messaging and presence, 5.6 alternative flow, 5.10)
 * and anonymous senders (PP-22/PP-23). Per user: who may send messages and what a refused message
 * gets (policy.ts), who may probe presence without a subscription, and whether anonymous messages
 * are accepted (anonymous.ts); the settings and their form: settings.ts.
 *
 * Exposed as a XEP-0050 command on the server JID (node urn:x-tern:privacy:0#settings, a XEP-0004
 * form) through the adhoc module, so that any client that runs ad-hoc commands (Gajim, Psi,
 * Profanity, Converse.js, Conversations) can change them. XEP-0016 privacy lists are not offered.
 */
import type {} from '../../core/accounts.js';
import { StanzaError } from '../../core/errors.js';
import { HANDLED, Priority, type HookResult, type StanzaEvent } from '../../core/events.js';
import { defineModule, keyval } from '../../core/module.js';
import { type Element, mustNotBounce, withAttrs, xml } from '../../core/stanza.js';
import type {} from '../adhoc/service.js';
import { ALIAS_PREFIX, type AliasRecord, anonymised, createAliases, isAnonymous, notAllowed } from './anonymous.js';
import { createPolicy } from './policy.js';
import { createSettingsStore, NS_PRIVACY, parseSubmission, type PrivacySettings, settingsForm } from './settings.js';

const MAX_CACHED = 10_000;
export const COMMAND_NODE = `${NS_PRIVACY}#settings`;

export default defineModule({
  name: 'privacy',
  depends: ['roster', 'adhoc'],
  options: (host) => ({ anonymousOffered: host.privacy.anonymous_messages }),
  stores: {
    settings: keyval<PrivacySettings>('privacy_settings'),
    secret: keyval<string>('anonymous_secret'),
    aliases: keyval<AliasRecord>('anonymous_aliases'),
  },
  setup(ctx) {
    const offered = ctx.options.anonymousOffered;
    const settings = createSettingsStore(ctx.stores.settings, MAX_CACHED);
    const roster = ctx.services.get('roster');
    const aliases = createAliases(ctx.stores.secret, ctx.stores.aliases, ctx.host);
    const checked = new WeakSet<Element>();
    const sendChecked = (stanza: Element) => {
      checked.add(stanza);
      ctx.send(stanza);
    };

    const policy = createPolicy({
      host: ctx.host,
      settings: (u) => settings.get(u),
      isContact: async (u, contact) => (await roster.item(u, contact)) !== undefined,
      sendNotice: (n) => ctx.send(n),
      checked,
    });

    /** Replies to an anonymous alias go to the sender it stands for, from its recipient only. */
    const toAlias = async ({ stanza, from, to }: StanzaEvent): Promise<HookResult> => {
      const rec = await aliases.resolve(to.local);
      if (!rec) return undefined; // an ordinary account that happens to look like an alias
      if (from.bareString !== rec.recipient) {
        if (mustNotBounce(stanza)) return HANDLED;
        throw new StanzaError('service-unavailable');
      }
      sendChecked(withAttrs(stanza, { to: rec.sender }));
      return HANDLED;
    };
    const inboundMessage = (ev: StanzaEvent) => {
      if (ev.to.domain === ctx.host && ev.to.local.startsWith(ALIAS_PREFIX)) return toAlias(ev);
      return policy.inbound(ev);
    };
    ctx.hook('message/bare', inboundMessage, Priority.Privacy);
    ctx.hook('message/full', inboundMessage, Priority.Privacy);

    const anonymousOut = async ({ stanza, from, to }: StanzaEvent): Promise<HookResult> => {
      if (!isAnonymous(stanza)) return undefined;
      if (!offered || to.domain !== ctx.host || !to.local) throw notAllowed();
      const user = to.local;
      if (!(await ctx.services.maybe('accounts')?.exists(user) ?? true)) throw notAllowed();
      const s = await settings.get(user);
      if (!s.anonymous || s.messages === 'nobody') throw notAllowed();
      if (await ctx.services.maybe('blocking')?.isBlocked(user, from)) throw notAllowed();
      sendChecked(anonymised(stanza, await aliases.aliasFor(from.bareString, to.bareString)));
      return HANDLED;
    };
    for (const a of ['bare', 'full', 'host'] as const) ctx.hook(`pre-message/${a}`, anonymousOut, Priority.Privacy);

    // presence = everyone: probes from anyone get the current presence (subscribers as RFC 6121 says).
    ctx.hook('presence/bare', async ({ stanza, from, to }): Promise<HookResult> => {
      if (stanza.attrs.type !== 'probe' || !to.local) return undefined;
      const s = await settings.get(to.local);
      if (s.presence !== 'everyone') return undefined;
      const item = await roster.item(to.local, from.bareString);
      if (item && (item.subscription === 'from' || item.subscription === 'both')) return undefined;
      const available = ctx.sessions.availableOf(to.local).filter((x) => x.presence);
      if (available.length === 0) ctx.send(xml('presence', { type: 'unavailable', from: to.bareString, to: from.toString() }));
      for (const x of available) ctx.send(withAttrs(x.presence!, { to: from.toString() }));
      return HANDLED;
    }, Priority.Privacy);

    const command = ctx.services.get('adhoc').register({
      node: COMMAND_NODE,
      name: 'Privacy settings',
      allowed: (from) => from.domain === ctx.host && from.local !== '',
      execute: async (from) => ({ status: 'executing', form: settingsForm(await settings.get(from.local), offered) }),
      submit: async (from, form) => {
        await settings.set(from.local, parseSubmission(form, await settings.get(from.local), offered));
        return { status: 'completed', note: { type: 'info', text: 'Privacy settings saved.' } };
      },
    });
    ctx.onUnload(() => command.dispose());
    ctx.hook('user/deleting', ({ username }) => settings.forget(username));
  },
});
