/**
 * The user's nodes: one map store per host, keyed by node name, each value the node's configuration
 * and its items (oldest first), so a publish, its max_items trimming and a first-publish auto-create
 * are one atomic write. Items of nodes with persist_items off live only in memory (XEP-0060 §16.4.4
 * leaves it to the service; they are gone after a restart).
 *
 * Cache: the nodes of recently active users, bounded, least recently used first out. Writes go to
 * the store first and replace the cached record only once the store has them; every change for one
 * user runs in that user's serial lane.
 */
import type { MapStore } from '../../../storage/types.js';
import { KeyedSerial } from '../../core/serial.js';
import type { NodeRecord } from './types.js';

export type UserNodes = ReadonlyMap<string, NodeRecord>;

export class PepStore {
  private readonly cache = new Map<string, Map<string, NodeRecord>>();
  /** Items of non-persistent nodes, per user and node. */
  private readonly volatile = new Map<string, Map<string, NodeRecord['items']>>();
  private readonly serial = new KeyedSerial();

  constructor(private readonly store: MapStore<NodeRecord>, private readonly cacheUsers: number) {}

  async nodes(username: string): Promise<UserNodes> {
    const hit = this.cache.get(username);
    if (hit) {
      this.cache.delete(username);
      this.cache.set(username, hit);
      return hit;
    }
    const loaded = await this.store.all(username);
    const vol = this.volatile.get(username);
    for (const [name, rec] of loaded) if (!rec.config.persistItems) loaded.set(name, { ...rec, items: vol?.get(name) ?? [] });
    this.cache.set(username, loaded);
    while (this.cache.size > this.cacheUsers) this.cache.delete(this.cache.keys().next().value!);
    return loaded;
  }

  async node(username: string, node: string): Promise<NodeRecord | undefined> {
    return (await this.nodes(username)).get(node);
  }

  /** Read-modify-write of one node in the user's lane; `fn` gets the node and how many the user has, and returns the new record (undefined deletes) or `current` for no change. */
  update<T>(username: string, node: string, fn: (current: NodeRecord | undefined, nodeCount: number) => { record: NodeRecord | undefined; result: T }): Promise<T> {
    return this.serial.run(username, async () => {
      const nodes = await this.nodes(username);
      const current = nodes.get(node);
      const { record, result } = fn(current, nodes.size);
      if (record === current) return result;
      const stored = record && !record.config.persistItems ? { ...record, items: [] } : record;
      await this.store.set(username, node, stored);
      let vol = this.volatile.get(username);
      if (record && !record.config.persistItems) {
        if (!vol) this.volatile.set(username, vol = new Map());
        vol.set(node, record.items);
      } else vol?.delete(node);
      const next = new Map(await this.nodes(username));
      if (record) next.set(node, record);
      else next.delete(node);
      this.cache.set(username, next);
      return result;
    });
  }

  async deleteUser(username: string): Promise<void> {
    await this.serial.run(username, async () => {
      await this.store.deleteUser(username);
      this.cache.delete(username);
      this.volatile.delete(username);
    });
  }
}
