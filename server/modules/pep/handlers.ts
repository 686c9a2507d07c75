/**
 * The pubsub IQs PEP answers on a user's bare JID (XEP-0060, as profiled by XEP-0163):
 * §7.1 publish (+ §7.1.5 publish-options), §7.2 retract, §6.5 items, §8.1 create, §8.2 configure,
 * §8.4 delete. Only the owner changes a node (anyone else: forbidden, XEP-0163 §4.1 / XEP-0060
 * §7.1.3.1); reading follows the node's access model. An unsupported request is
 * feature-not-implemented with <unsupported feature=…/> (§7.1.3.x, §6.1.3.x).
 */
import type { Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import type { IqRequest, IqReturn } from '../../core/iq.js';
import { childElements, xml } from '../../core/stanza.js';
import { accessDenied, isOwner, type RosterLookup } from './access.js';
import { configForm, formValues, parseConfig, parsePublishOptions } from './config.js';
import { parseXml, type PepEngine, select } from './engine.js';
import type { PepStore } from './store.js';
import { NS_NODE_CONFIG, NS_PUBLISH_OPTIONS, NS_PUBSUB, NS_PUBSUB_ERRORS, NS_PUBSUB_OWNER } from './types.js';

export interface HandlerDeps {
  host: string;
  engine: PepEngine;
  store: PepStore;
  roster(): RosterLookup | undefined;
}

const pubsubError = (condition: 'bad-request' | 'feature-not-implemented' | 'not-acceptable', name: string, attrs?: Record<string, string>) =>
  new StanzaError(condition, undefined, condition === 'feature-not-implemented' ? 'cancel' : 'modify', { name, xmlns: NS_PUBSUB_ERRORS, ...(attrs ? { attrs } : {}) });
const unsupported = (feature: string) => pubsubError('feature-not-implemented', 'unsupported', { feature });

function nodeOf(el: Element): string {
  const node = el.attrs.node as string | undefined;
  if (!node) throw pubsubError('bad-request', 'nodeid-required');
  return node;
}

function ownerOnly(req: IqRequest, host: string): string {
  if (!isOwner(req.from, req.to.local, host)) throw new StanzaError('forbidden');
  return req.to.local;
}

export function pubsubSet(d: HandlerDeps) {
  return async (req: IqRequest): Promise<IqReturn> => {
    const children = childElements(req.payload);
    const action = children[0];
    if (!action) throw new StanzaError('bad-request');
    const options = children.find((c) => c.name === 'publish-options');
    const configure = children.find((c) => c.name === 'configure');
    switch (action.name) {
      case 'publish': {
        const username = ownerOnly(req, d.host);
        const node = nodeOf(action);
        const items = action.getChildren('item');
        // §7.1.3.6 / §7.1.3.5: PEP nodes deliver payloads, so exactly one item with exactly one payload.
        if (items.length !== 1) throw pubsubError('bad-request', items.length === 0 ? 'item-required' : 'invalid-payload');
        const payloads = childElements(items[0]!);
        if (payloads.length === 0) throw pubsubError('bad-request', 'payload-required');
        if (payloads.length > 1) throw pubsubError('bad-request', 'invalid-payload');
        let config;
        if (options) {
          const values = formValues(options.getChild('x'), NS_PUBLISH_OPTIONS);
          if (!values) throw new StanzaError('bad-request');
          config = parsePublishOptions(values);
        }
        const id = await d.engine.publish(username, node, payloads[0]!, { id: items[0]!.attrs.id, config, origin: { jid: req.from } });
        return xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node }, xml('item', { id })));
      }
      case 'retract': {
        const username = ownerOnly(req, d.host);
        const node = nodeOf(action);
        const id = action.getChild('item')?.attrs.id as string | undefined;
        if (!id) throw pubsubError('bad-request', 'item-required');
        const n = action.attrs.notify as string | undefined;
        await d.engine.retract(username, node, id, n === undefined ? undefined : n === 'true' || n === '1', { jid: req.from });
        return true;
      }
      case 'create': {
        const username = ownerOnly(req, d.host);
        const node = nodeOf(action);
        let config = {};
        const x = configure?.getChild('x');
        if (x) {
          const values = formValues(x, NS_NODE_CONFIG);
          if (!values) throw new StanzaError('bad-request');
          config = parseConfig(values);
        }
        await d.engine.create(username, node, config);
        return true;
      }
      case 'subscribe': case 'unsubscribe': case 'options':
        // PEP subscriptions come from presence and caps (XEP-0163 §4.3); explicit ones are not kept.
        throw unsupported(action.name === 'options' ? 'subscription-options' : 'subscribe');
      default:
        throw new StanzaError('feature-not-implemented');
    }
  };
}

export function pubsubGet(d: HandlerDeps) {
  return async (req: IqRequest): Promise<IqReturn> => {
    const action = childElements(req.payload)[0];
    if (!action) throw new StanzaError('bad-request');
    if (action.name !== 'items') {
      if (action.name === 'subscriptions' || action.name === 'affiliations') throw unsupported(action.name === 'subscriptions' ? 'retrieve-subscriptions' : 'retrieve-affiliations');
      throw new StanzaError('feature-not-implemented');
    }
    const node = nodeOf(action);
    const owner = req.to.local;
    const rec = await d.store.node(owner, node);
    // §6.5.9.11: no such node (also for an account that does not exist: nothing tells them apart).
    if (!rec) throw new StanzaError('item-not-found');
    const denied = await accessDenied(req.from, owner, d.host, rec.config, d.roster());
    if (denied) throw denied;
    const ids = action.getChildren('item').map((i) => i.attrs.id as string).filter(Boolean);
    const maxAttr = action.attrs.max_items as string | undefined;
    let max: number | undefined;
    if (maxAttr !== undefined) {
      if (!/^\d{1,9}$/.test(maxAttr)) throw new StanzaError('bad-request');
      max = Number(maxAttr);
    }
    const items = select(rec, { ids, max });
    return xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node }, ...items.map((i) => xml('item', { id: i.id }, parseXml(i.payload)))));
  };
}

/** pubsub#owner (§8): configure (get/set) and delete, owner only. */
export function ownerGet(d: HandlerDeps) {
  return async (req: IqRequest): Promise<IqReturn> => {
    const username = ownerOnly(req, d.host);
    const action = childElements(req.payload)[0];
    if (action?.name !== 'configure') throw new StanzaError('feature-not-implemented');
    const node = nodeOf(action);
    const rec = await d.store.node(username, node);
    if (!rec) throw new StanzaError('item-not-found');
    return xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('configure', { node }, configForm(rec.config)));
  };
}

export function ownerSet(d: HandlerDeps) {
  return async (req: IqRequest): Promise<IqReturn> => {
    const username = ownerOnly(req, d.host);
    const action = childElements(req.payload)[0];
    if (!action) throw new StanzaError('bad-request');
    const node = nodeOf(action);
    if (action.name === 'delete') {
      if (!(await d.engine.deleteNode(username, node, { jid: req.from }))) throw new StanzaError('item-not-found');
      return true;
    }
    if (action.name === 'configure') {
      const x = action.getChild('x');
      if (x?.attrs.type === 'cancel') return true;
      const values = formValues(x, NS_NODE_CONFIG);
      if (!values || x?.attrs.type !== 'submit') throw new StanzaError('bad-request');
      await d.engine.configure(username, node, parseConfig(values));
      return true;
    }
    throw new StanzaError('feature-not-implemented');
  };
}
