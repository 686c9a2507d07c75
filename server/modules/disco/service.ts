/** What the disco module tells other modules (XEP-0115 hashes the server's own disco#info). */
import type { Element } from '@xmpp/xml';
import type { DiscoContext, DiscoInfo, Disposable } from '../../core/events.js';
import type { Jid } from '../../core/jid.js';

declare module '../../core/module.js' {
  interface Services { disco: DiscoService }
}

export interface DiscoService {
  /** The server's disco#info without a node, as answered to `from`: the folded value and the <query/> sent. */
  hostInfo(from: Jid): { info: DiscoInfo; query: Element };
  /**
   * Adds items to an account's disco#items without a node (XEP-0163 §9.1 PEP nodes, say). The
   * provider gets whether the requester may see the account (XEP-0030 §8) and filters by itself.
   */
  addAccountItems(provider: AccountItemsProvider): Disposable;
}

export type AccountItemsProvider = (c: DiscoContext & { visible: boolean }) => Promise<Element[]>;
