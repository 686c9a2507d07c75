/** PEP data model, namespaces, and the `pep` service other modules use (declaration merging). */
import type { Element } from '@xmpp/xml';
import type { Disposable } from '../../core/events.js';
import type { Jid } from '../../core/jid.js';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
export const NS_PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';
export const NS_NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';
export const NS_DATA = 'jabber:x:data';

export type AccessModel = 'open' | 'presence' | 'roster' | 'whitelist';
export type SendLast = 'never' | 'on_sub' | 'on_sub_and_presence';

export interface NodeConfig {
  accessModel: AccessModel;
  /** For the 'roster' access model: the owner's roster groups allowed. */
  rosterGroups: string[];
  /** 'max' is the service's own maximum. */
  maxItems: number | 'max';
  persistItems: boolean;
  sendLastPublishedItem: SendLast;
  notifyRetract: boolean;
  title?: string;
}

export interface StoredItem {
  id: string;
  /** The payload as XML text. */
  payload: string;
  when: number;
}

/** What the map store holds per node (key: node name). Items oldest first. */
export interface NodeRecord {
  config: NodeConfig;
  items: StoredItem[];
}

/** Who changed a node, for listeners: a client's full JID, or a module acting for the user. */
export interface ChangeOrigin { jid?: Jid; module?: string }

export type PepChange =
  | { kind: 'publish'; username: string; node: string; item: { id: string; payload: Element }; origin: ChangeOrigin }
  | { kind: 'retract'; username: string; node: string; id: string; origin: ChangeOrigin }
  | { kind: 'delete'; username: string; node: string; origin: ChangeOrigin };

export interface PublishOptions {
  /** Publish-options preconditions / configuration for a node created now (XEP-0060 §7.1.5). */
  config?: Partial<NodeConfig>;
  /** Item id; generated when absent. */
  id?: string;
  /** Who publishes (listeners see it); defaults to a module origin. */
  origin?: ChangeOrigin;
}

export interface PepService {
  /** Publishes one item to the user's node, creating it with `options.config` if needed; returns the item id. Throws StanzaError (precondition-not-met conflict). */
  publish(username: string, node: string, payload: Element, options?: PublishOptions): Promise<string>;
  /** The node's items, newest first (all, or `ids`, or at most `max`); undefined if the node does not exist. No access check. */
  items(username: string, node: string, opts?: { ids?: string[]; max?: number }): Promise<Array<{ id: string; payload: Element; when: number }> | undefined>;
  /** The node's items if `requester` may see them (the access model); 'forbidden' otherwise, undefined if no such node. */
  itemsFor(requester: Jid, username: string, node: string): Promise<Array<{ id: string; payload: Element }> | 'forbidden' | undefined>;
  retract(username: string, node: string, id: string, origin?: ChangeOrigin): Promise<boolean>;
  deleteNode(username: string, node: string, origin?: ChangeOrigin): Promise<boolean>;
  config(username: string, node: string): Promise<NodeConfig | undefined>;
  /** Called after each successful change (publish, retract, delete), any origin. */
  onChange(listener: (change: PepChange) => void | Promise<void>): Disposable;
}

declare module '../../core/module.js' {
  interface Services { pep: PepService }
}
