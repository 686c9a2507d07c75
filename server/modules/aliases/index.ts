/**
 * Aliases (the seed's PP2-24/25): extra localparts on a host that belong to one account. An
 * administrator manages them (`tern alias add|remove|list`); they are never accounts (creating an
 * account of that name is a conflict, through the core `reservedNames` service).
 *
 * Receiving: a message to alias@host[/res] is delivered to the owner as RFC 6121 §8.5 delivers to
 * the account owner@host[/res] — the routing decision uses the owner's JID, while the stanza keeps
 * its original 'to', so the owner's client sees which alias was written to, and any error reply
 * comes back from the alias, never revealing the account (PP2-24: an alias hides the identity).
 * Presence and IQs to an alias are treated as for a non-existent account (RFC 6121 §8.5.1: IQ
 * service-unavailable, presence dropped): an alias is a messaging address and answers nothing that
 * would expose the owner (no vCard, no presence).
 * Sending: a message whose 'from' is one of the sender's own aliases (bare, or with the session's
 * resource) is stamped with alias@host/<resource> (router sender-alias hook); the sender's own
 * hooks (archive, carbons, privacy) still see the account. Any other foreign 'from' stays
 * invalid-from (RFC 6120 §8.1.2.1).
 * An owner sees their aliases with <iq type='get'><aliases xmlns='urn:tern:aliases:0'/></iq>.
 */
import { StanzaError } from '../../core/errors.js';
import { HANDLED, type HookResult, Priority, type StanzaEvent } from '../../core/events.js';
import { Jid } from '../../core/jid.js';
import { defineModule, keyval } from '../../core/module.js';
import { xml } from '../../core/stanza.js';
import type {} from '../../core/accounts.js';
import type {} from './service.js';
import { type AliasRecord, AliasTable } from './table.js';

export const NS_ALIASES = 'urn:tern:aliases:0';
const REFRESH_MS = 2000;

export default defineModule({
  name: 'aliases',
  rfcs: ['RFC 6121 §8.5 (delivery to the owning account)', 'RFC 6120 §8.1.2.1 (from: own aliases only)'],
  depends: ['accounts', 'message'],
  stores: { table: keyval<AliasRecord>('aliases') },
  async setup(ctx) {
    const accounts = ctx.services.get('accounts');
    const table = new AliasTable({ store: ctx.stores.table, accountExists: (u) => accounts.exists(u) });
    await table.refresh();
    ctx.interval(REFRESH_MS, () => { table.refresh().catch((err) => ctx.log.warn({ err }, 'alias table refresh failed')); });
    ctx.provide('aliases', table.service());
    ctx.provide('reservedNames', { reserved: (u) => table.isAlias(u) });

    const toOwner = (ev: StanzaEvent): HookResult | Promise<HookResult> => {
      const owner = ev.to.local ? table.ownerOf(ev.to.local) : undefined;
      if (!owner) return undefined;
      const to = Jid.of(owner, ctx.host, ev.to.resource);
      const r = ctx.router.routeEvent({ ...ev, to });
      return r ? r.then((): HookResult => HANDLED) : HANDLED;
    };
    ctx.hook('message/bare', toOwner, Priority.Security);
    ctx.hook('message/full', toOwner, Priority.Security);
    const notAnAccount = (ev: StanzaEvent) => {
      if (!ev.to.local || !table.ownerOf(ev.to.local)) return undefined;
      if (ev.kind === 'iq' && (ev.stanza.attrs.type === 'get' || ev.stanza.attrs.type === 'set')) throw new StanzaError('service-unavailable');
      return HANDLED;
    };
    for (const name of ['iq/bare', 'iq/full', 'presence/bare', 'presence/full'] as const) ctx.hook(name, notAnAccount, Priority.Security);

    const stop = ctx.router.addSenderAlias(ctx.host, (session, claimed, kind) => {
      if (kind !== 'message' || claimed.domain !== ctx.host || !session.jid) return undefined;
      if (claimed.resource && claimed.resource !== session.jid.resource) return undefined;
      if (table.ownerOf(claimed.local) !== session.jid.local) return undefined;
      return Jid.of(claimed.local, ctx.host, session.jid.resource);
    });
    ctx.onUnload(() => stop.dispose());

    ctx.iq.get(NS_ALIASES, 'aliases', async ({ from }) => xml('aliases', { xmlns: NS_ALIASES },
      ...(await table.service().list(from.local)).map((a) => xml('alias', { jid: `${a.alias}@${ctx.host}` }))), 'self');
    ctx.hook('user/deleting', async ({ username }) => { await table.removeOwner(username); });
  },
});
