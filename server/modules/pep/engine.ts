/**
 * The PEP engine: changes to a user's nodes (XEP-0060 §7.1 publish with auto-create and
 * publish-options, §7.2 retract, §8.4 delete, §8.2 configure) and who hears of them (XEP-0163 §4.3:
 * the owner's resources and contacts with a presence subscription, each only if its caps advertise
 * <node>+notify and the access model lets it see the node). Protocol parsing is in handlers.ts.
 */
import { randomBytes } from 'node:crypto';
import { type Element, Parser } from '@xmpp/xml';
import type { Logger } from 'pino';
import { StanzaError } from '../../core/errors.js';
import type { Disposable } from '../../core/events.js';
import { Jid } from '../../core/jid.js';
import type { Session, SessionRegistry } from '../../core/sessions.js';
import { xml } from '../../core/stanza.js';
import { accessDenied, type RosterLookup } from './access.js';
import { checkPreconditions, defaultConfig, effectiveMax } from './config.js';
import type { PepStore } from './store.js';
import { type ChangeOrigin, type NodeConfig, type NodeRecord, NS_PUBSUB_ERRORS, NS_PUBSUB_EVENT, type PepChange, type PepService, type PublishOptions, type StoredItem } from './types.js';

export interface EngineDeps {
  host: string;
  store: PepStore;
  sessions: SessionRegistry;
  roster(): (RosterLookup & { items(username: string): Promise<ReadonlyMap<string, { subscription: string }>> }) | undefined;
  /** The session's caps features, or undefined if unknown (no caps, or not verified). */
  features(session: Session): Promise<ReadonlySet<string> | undefined>;
  send(stanza: Element): void;
  log: Logger;
  maxItemsLimit: number;
  maxNodes: number;
}

export function parseXml(s: string): Element {
  let out: Element | undefined;
  const p = new Parser();
  p.on('element', (el: Element) => { out = el; });
  p.write(`<r>${s}</r>`);
  if (!out) throw new Error('stored item did not parse');
  return out;
}

const notifiable = (sessionFeatures: ReadonlySet<string> | undefined, node: string) => sessionFeatures?.has(`${node}+notify`) ?? false;

export class PepEngine {
  private readonly listeners = new Set<(c: PepChange) => void | Promise<void>>();
  readonly service: PepService;

  constructor(private readonly d: EngineDeps) {
    this.service = {
      publish: (username, node, payload, options) => this.publish(username, node, payload, options ?? {}),
      items: async (username, node, opts) => {
        const rec = await d.store.node(username, node);
        return rec ? select(rec, opts ?? {}).map((i) => ({ id: i.id, payload: parseXml(i.payload), when: i.when })) : undefined;
      },
      itemsFor: async (requester, username, node) => {
        const rec = await d.store.node(username, node);
        if (!rec) return undefined;
        if (await accessDenied(requester, username, d.host, rec.config, d.roster())) return 'forbidden';
        return rec.items.map((i) => ({ id: i.id, payload: parseXml(i.payload) }));
      },
      retract: (username, node, id, origin) => this.retract(username, node, id, undefined, origin ?? { module: 'service' }).then(() => true, (err) => {
        if (err instanceof StanzaError && err.condition === 'item-not-found') return false;
        throw err;
      }),
      deleteNode: (username, node, origin) => this.deleteNode(username, node, origin ?? { module: 'service' }),
      config: async (username, node) => (await d.store.node(username, node))?.config,
      onChange: (listener): Disposable => {
        this.listeners.add(listener);
        return { dispose: () => { this.listeners.delete(listener); } };
      },
    };
  }

  async publish(username: string, node: string, payload: Element, options: PublishOptions): Promise<string> {
    const id = options.id || randomBytes(9).toString('base64url');
    const item: StoredItem = { id, payload: payload.toString(), when: Date.now() };
    const rec = await this.d.store.update(username, node, (current, count) => {
      let config: NodeConfig;
      if (current) {
        // §7.1.5: preconditions must match an existing node; a new one is created with them.
        if (options.config) checkPreconditions(current.config, options.config);
        config = current.config;
      } else {
        config = { ...defaultConfig(node), ...options.config };
        this.checkNodeCount(count);
      }
      const max = effectiveMax(config, this.d.maxItemsLimit);
      const items = [...(current?.items ?? []).filter((i) => i.id !== id), item];
      // max_items (§7.1.2, §16.4.4 'max'): the oldest go first.
      const record: NodeRecord = { config, items: items.slice(Math.max(0, items.length - max)) };
      return { record, result: record };
    });
    const change: PepChange = { kind: 'publish', username, node, item: { id, payload }, origin: options.origin ?? { module: 'service' } };
    this.broadcast(username, node, rec.config, xml('items', { node }, xml('item', { id }, payload)));
    this.emit(change);
    return id;
  }

  private checkNodeCount(count: number): void {
    // A user could otherwise fill the store with nodes.
    if (count >= this.d.maxNodes) throw new StanzaError('not-allowed', undefined, 'cancel', { name: 'max-nodes-exceeded', xmlns: NS_PUBSUB_ERRORS });
  }

  async create(username: string, node: string, config: Partial<NodeConfig>): Promise<void> {
    await this.d.store.update(username, node, (current, count) => {
      if (current) throw new StanzaError('conflict');
      this.checkNodeCount(count);
      return { record: { config: { ...defaultConfig(node), ...config }, items: [] }, result: undefined };
    });
  }

  async retract(username: string, node: string, id: string, notify: boolean | undefined, origin: ChangeOrigin): Promise<void> {
    const rec = await this.d.store.update(username, node, (current) => {
      if (!current || !current.items.some((i) => i.id === id)) throw new StanzaError('item-not-found');
      const record = { config: current.config, items: current.items.filter((i) => i.id !== id) };
      return { record, result: record };
    });
    if (notify ?? rec.config.notifyRetract) this.broadcast(username, node, rec.config, xml('items', { node }, xml('retract', { id })));
    this.emit({ kind: 'retract', username, node, id, origin });
  }

  async deleteNode(username: string, node: string, origin: ChangeOrigin): Promise<boolean> {
    const old = await this.d.store.update(username, node, (current) => ({ record: undefined, result: current }));
    if (!old) return false;
    this.broadcast(username, node, old.config, xml('delete', { node }));
    this.emit({ kind: 'delete', username, node, origin });
    return true;
  }

  async configure(username: string, node: string, changes: Partial<NodeConfig>): Promise<void> {
    await this.d.store.update(username, node, (current) => {
      if (!current) throw new StanzaError('item-not-found');
      const config = { ...current.config, ...changes };
      const max = effectiveMax(config, this.d.maxItemsLimit);
      return { record: { config, items: current.items.slice(Math.max(0, current.items.length - max)) }, result: undefined };
    });
  }

  private emit(change: PepChange): void {
    for (const l of this.listeners) {
      Promise.resolve().then(() => l(change)).catch((err) => this.d.log.error({ err, node: change.node }, 'pep listener failed'));
    }
  }

  /** Sessions that may hear of the owner's node: its own available resources, then contacts' (same host). */
  private async audience(owner: string, c: NodeConfig): Promise<Session[]> {
    const out = [...this.d.sessions.availableOf(owner)];
    const roster = this.d.roster();
    if (!roster) return out;
    for (const [contact, item] of await roster.items(owner)) {
      if (item.subscription !== 'from' && item.subscription !== 'both') continue;
      const jid = Jid.tryParse(contact);
      if (!jid || jid.domain !== this.d.host || !jid.local) continue;
      const mine = this.d.sessions.availableOf(jid.local);
      if (mine.length === 0) continue;
      if (await accessDenied(jid, owner, this.d.host, c, roster)) continue;
      out.push(...mine);
    }
    return out;
  }

  /** Sends an event to everyone interested (XEP-0163 §4.3.1), without holding up the publisher. */
  private broadcast(owner: string, node: string, c: NodeConfig, event: Element): void {
    (async () => {
      for (const s of await this.audience(owner, c)) {
        if (!s.closed && notifiable(await this.d.features(s), node)) this.notifySession(owner, s, event);
      }
    })().catch((err) => this.d.log.error({ err, node }, 'pep notification failed'));
  }

  notifySession(owner: string, s: Session, event: Element, delay?: number): void {
    const msg = xml('message', { from: `${owner}@${this.d.host}`, to: s.jid!.toString(), type: 'headline', id: randomBytes(6).toString('base64url') },
      xml('event', { xmlns: NS_PUBSUB_EVENT }, event));
    if (delay !== undefined) msg.append(xml('delay', { xmlns: 'urn:xmpp:delay', from: `${owner}@${this.d.host}`, stamp: new Date(delay).toISOString() }));
    this.d.send(msg);
  }

  /**
   * XEP-0163 §4.3.3 (and §4.3.4 for a changed interest): a session that became available, or whose
   * caps now add +notify for nodes, gets the last item of each such node it may see, from its own
   * account and from each contact it is subscribed to on this host.
   */
  async sendLastItems(s: Session, nodes: ReadonlySet<string>): Promise<void> {
    if (nodes.size === 0 || !s.jid) return;
    const owners = [s.jid.local];
    const roster = this.d.roster();
    if (roster) {
      for (const [contact, item] of await roster.items(s.jid.local)) {
        if (item.subscription !== 'to' && item.subscription !== 'both') continue;
        const jid = Jid.tryParse(contact);
        if (jid && jid.domain === this.d.host && jid.local && jid.local !== s.jid.local) owners.push(jid.local);
      }
    }
    for (const owner of owners) {
      const all = await this.d.store.nodes(owner);
      for (const node of nodes) {
        const rec = all.get(node);
        const last = rec?.items.at(-1);
        if (!rec || !last || rec.config.sendLastPublishedItem !== 'on_sub_and_presence') continue;
        if (await accessDenied(s.jid, owner, this.d.host, rec.config, roster)) continue;
        if (s.closed) return;
        this.notifySession(owner, s, xml('items', { node }, xml('item', { id: last.id }, parseXml(last.payload))), last.when);
      }
    }
  }
}

/** Items chronologically (oldest first): all, those with `ids` (in stored order), or the last `max`. */
export function select(rec: NodeRecord, q: { ids?: string[]; max?: number }): StoredItem[] {
  let items = rec.items;
  if (q.ids && q.ids.length > 0) items = items.filter((i) => q.ids!.includes(i.id));
  if (q.max !== undefined) items = items.slice(Math.max(0, items.length - q.max));
  return items;
}
