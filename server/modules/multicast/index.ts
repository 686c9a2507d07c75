/**
 * XEP-0033 Extended Stanza Addressing: the server is the multicast service of its users (§2, the
 * feature in its disco#info). A message to the server carrying <addresses/> goes to every 'to',
 * 'cc' and 'bcc' address once (rules in addresses.ts), each copy routed on its own, so offline
 * storage, archives, carbons and privacy rules apply per recipient, and a recipient's error comes
 * back to the sender from that recipient. Remote recipients go to the router like any remote
 * stanza. Only users of this host may use it (§2.2 forbidden). Presence multicast is not offered;
 * recipient lists (PP2-37) are expanded by the client into the address header.
 */
import { StanzaError } from '../../core/errors.js';
import { HANDLED, Priority } from '../../core/events.js';
import { defineModule } from '../../core/module.js';
import { addressesOf, expand, NS_ADDRESS } from './addresses.js';

export default defineModule({
  name: 'multicast',
  xeps: [{ number: 33, version: '1.2.1', status: 'partial', note: 'messages to the server; local and routed recipients; no uri addresses, no presence multicast' }],
  options: (h) => h.multicast,
  setup(ctx) {
    if (!ctx.options.enabled) return;
    ctx.features.add(NS_ADDRESS);
    ctx.hook('message/host', ({ stanza, from, to }) => {
      if (to.local || to.resource || !addressesOf(stanza) || stanza.attrs.type === 'error') return;
      if (from.domain !== ctx.host || !from.local) throw new StanzaError('forbidden', 'the multicast service is for users of this server');
      for (const c of expand(stanza, ctx.options.max_addresses)) ctx.send(c.stanza);
      return HANDLED;
    }, Priority.Default);
  },
});
