/** What the disco module tells other modules (XEP-0115 hashes the server's own disco#info). */
import type { Element } from '@xmpp/xml';
import type { DiscoInfo } from '../../core/events.js';
import type { Jid } from '../../core/jid.js';

declare module '../../core/module.js' {
  interface Services { disco: DiscoService }
}

export interface DiscoService {
  /** The server's disco#info without a node, as answered to `from`: the folded value and the <query/> sent. */
  hostInfo(from: Jid): { info: DiscoInfo; query: Element };
}
