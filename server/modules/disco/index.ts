/**
 * XEP-0030 Service Discovery for the server (§3, §4) and for accounts. Features come from what
 * modules registered (ctx.features.add) and from the disco fold hooks. An account's disco is
 * answered for the account itself and for contacts it shares presence with; anyone else gets
 * service-unavailable, as for a nonexistent account, so the query does not reveal who exists.
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import type { DiscoInfo } from '../../core/events.js';
import type { IqRequest } from '../../core/iq.js';
import { defineModule } from '../../core/module.js';
import '../roster/service.js';

const INFO = 'http://jabber.org/protocol/disco#info';
const ITEMS = 'http://jabber.org/protocol/disco#items';

function infoElement(info: DiscoInfo): Element {
  const q = xml('query', { xmlns: INFO });
  for (const i of info.identities) q.append(xml('identity', { category: i.category, type: i.type, ...(i.name ? { name: i.name } : {}) }));
  for (const f of [...new Set(info.features)].sort()) q.append(xml('feature', { var: f }));
  for (const e of info.extensions) q.append(e);
  return q;
}

export default defineModule({
  name: 'disco',
  xeps: [{ number: 30, version: '2.5rc3', status: 'complete' }],
  depends: ['accounts'],
  setup(ctx) {
    ctx.features.add(INFO);
    ctx.features.add(ITEMS);
    ctx.features.add(INFO, { account: true });

    /** The account exists and the requester may see it (itself, or a contact it shares presence with). */
    const visibleAccount = async (req: IqRequest): Promise<void> => {
      const username = req.to.local;
      const self = req.from.local === username && req.from.domain === ctx.host;
      if (!(await ctx.services.get('accounts').exists(username))) throw new StanzaError('service-unavailable');
      if (self) return;
      const item = await ctx.services.maybe('roster')?.item(username, req.from.bareString);
      if (item?.subscription !== 'from' && item?.subscription !== 'both') throw new StanzaError('service-unavailable');
    };
    const noNode = (req: IqRequest) => {
      if (req.payload.attrs.node) throw new StanzaError('item-not-found');
    };

    ctx.iq.get(INFO, 'query', (req) => {
      noNode(req);
      return infoElement(ctx.foldValue('disco/info/host', {
        identities: [{ category: 'server', type: 'im', name: 'Tern' }],
        features: ctx.features.list(),
        extensions: [],
      }, { to: req.to, from: req.from }));
    }, 'host');

    ctx.iq.get(INFO, 'query', async (req) => {
      await visibleAccount(req);
      noNode(req);
      return infoElement(ctx.foldValue('disco/info/account', {
        identities: [{ category: 'account', type: 'registered' }],
        features: ctx.features.list({ account: true }),
        extensions: [],
      }, { to: req.to, from: req.from }));
    }, 'bare');

    ctx.iq.get(ITEMS, 'query', (req) => {
      noNode(req);
      return xml('query', { xmlns: ITEMS }, ...ctx.foldValue('disco/items/host', [], { to: req.to, from: req.from }));
    }, 'host');

    ctx.iq.get(ITEMS, 'query', async (req) => {
      await visibleAccount(req);
      return xml('query', { xmlns: ITEMS });
    }, 'bare');
  },
});
