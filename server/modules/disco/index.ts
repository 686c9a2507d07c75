/**
 * XEP-0030 Service Discovery for the server (§3.1, §4.1) and, on their behalf, for its accounts
 * (§3.1 bare JIDs, §8 security). The server's features are what modules registered with
 * ctx.features.add, then the 'disco/info/host' fold (identities, features, XEP-0128 extensions).
 *
 * Nodes (§3.2, §4.2) are answered by whoever folds something for them; a node nobody describes is
 * item-not-found. Accounts (§8): disco#info is service-unavailable unless the requester may see
 * the account's presence, whether or not the account exists; disco#items is then empty instead.
 */
import { StanzaError } from '../../core/errors.js';
import type { DiscoContext } from '../../core/events.js';
import type { IqRequest } from '../../core/iq.js';
import { Jid } from '../../core/jid.js';
import { defineModule } from '../../core/module.js';
import { xml } from '../../core/stanza.js';
import { mayViewAccount } from './access.js';
import type { AccountItemsProvider } from './service.js';
import { emptyInfo, infoElement, isEmpty, itemsElement, NS_INFO, NS_ITEMS } from './info.js';

export default defineModule({
  name: 'disco',
  xeps: [{ number: 30, version: '2.5rc3', status: 'complete' }],
  depends: ['accounts'],
  setup(ctx) {
    ctx.features.add(NS_INFO);
    ctx.features.add(NS_ITEMS);
    ctx.features.add(NS_INFO, { account: true });
    ctx.features.add(NS_ITEMS, { account: true });

    const discoContext = (req: IqRequest): DiscoContext => {
      const node: string | undefined = req.payload.attrs.node;
      return node === undefined ? { to: req.to, from: req.from } : { to: req.to, from: req.from, node };
    };
    /** Visible to the requester and existing; either failing looks the same from outside. */
    const visibleAccount = async (req: IqRequest): Promise<boolean> =>
      (await mayViewAccount(req.from, req.to.local, ctx.host, ctx.services.maybe('roster')))
      && ctx.services.get('accounts').exists(req.to.local);

    const hostStart = () => ({ identities: [{ category: 'server', type: 'im', name: 'Tern' }], features: ctx.features.list(), extensions: [] });
    const hostJid = Jid.of('', ctx.host);
    const accountItems = new Set<AccountItemsProvider>();
    ctx.provide('disco', {
      addAccountItems: (provider) => {
        accountItems.add(provider);
        return { dispose: () => { accountItems.delete(provider); } };
      },
      hostInfo: (from) => {
        const info = ctx.foldValue('disco/info/host', hostStart(), { to: hostJid, from });
        return { info, query: infoElement(info) };
      },
    });

    ctx.iq.get(NS_INFO, 'query', (req) => {
      const c = discoContext(req);
      const info = ctx.foldValue('disco/info/host', c.node === undefined ? hostStart() : emptyInfo(), c);
      if (isEmpty(info)) throw new StanzaError('item-not-found');
      return infoElement(info, c.node);
    }, 'host');

    ctx.iq.get(NS_ITEMS, 'query', (req) => {
      const c = discoContext(req);
      const items = ctx.foldValue('disco/items/host', [], c);
      // An empty answer is right for the server itself (§4.1); for a node it means nobody knows it.
      if (c.node !== undefined && items.length === 0) throw new StanzaError('item-not-found');
      return itemsElement(items, c.node);
    }, 'host');

    ctx.iq.get(NS_INFO, 'query', async (req) => {
      if (!(await visibleAccount(req))) throw new StanzaError('service-unavailable');
      const c = discoContext(req);
      const start = c.node === undefined
        ? { identities: [{ category: 'account', type: 'registered' }], features: ctx.features.list({ account: true }), extensions: [] }
        : emptyInfo();
      const info = ctx.foldValue('disco/info/account', start, c);
      if (isEmpty(info)) throw new StanzaError('item-not-found');
      return infoElement(info, c.node);
    }, 'bare');

    ctx.iq.get(NS_ITEMS, 'query', async (req) => {
      const c = discoContext(req);
      const visible = await visibleAccount(req);
      if (c.node !== undefined) {
        if (!visible) return itemsElement([], c.node);
        throw new StanzaError('item-not-found');
      }
      // §4.1: to those allowed to see it, an account's items are its available resources.
      const resources = visible ? ctx.sessions.availableOf(req.to.local).map((s) => xml('item', { jid: s.jid!.toString() })) : [];
      // Then what other modules list (PEP nodes); each decides what this requester may see.
      const more = await Promise.all([...accountItems].map((p) => p({ ...c, visible })));
      return itemsElement([...resources, ...more.flat()]);
    }, 'bare');
  },
});
