/** The `private` service: lets another module answer one namespace of XEP-0049 storage (XEP-0402 §5.3 compatibility, say). */
import type { Element } from '@xmpp/xml';
import type { Disposable } from '../../core/events.js';

declare module '../../core/module.js' {
  interface Services { private: PrivateService }
}

export interface PrivateNamespaceHandler {
  /** The stored element for the user, or undefined for none. */
  get(username: string): Promise<Element | undefined>;
  set(username: string, element: Element): Promise<void>;
}

export interface PrivateService {
  /** From now on, `ns` is read and written through `handler` instead of the module's own store. */
  handle(ns: string, handler: PrivateNamespaceHandler): Disposable;
}
