/**
 * Roster storage, cache, pushes and the `roster` service other modules use (RFC 6121 §2).
 *
 * Storage: one map store, keyed by the contact's bare JID, with the roster version kept beside
 * the items under a key no prepared JID can take, so an item and the version announcing it are
 * written in one atomic setMany — a client must never hold a version for a roster it has not seen
 * (§2.6). The version is `<epoch>-<counter>`: the epoch is chosen when a roster is first written,
 * so a roster deleted and created again never reuses a version a client may have cached.
 *
 * Cache: rosters of recently active users, read on every presence broadcast (the hot path), kept
 * in memory and replaced (copy on write) after each successful store write.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { MapStore } from '../../../storage/types.js';
import type { Disposable } from '../../core/events.js';
import type { SessionRegistry } from '../../core/sessions.js';
import { type Element, newId, xml } from '../../core/stanza.js';
import { itemElement, queryElement, removedItemElement } from './codec.js';
import { KeyedSerial } from '../../core/serial.js';

declare module '../../core/module.js' {
  interface Services { roster: RosterService }
}

export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface RosterItem {
  jid: string;
  name?: string;
  groups: string[];
  subscription: Subscription;
  ask?: 'subscribe';
  /** Pre-approval of the contact's future request (§3.4). */
  approved?: boolean;
}

export interface RosterChange {
  before: RosterItem | undefined;
  after: RosterItem | undefined;
}

/** What removing an item does to the subscriptions it carried (§2.5.2); the presence module registers one. */
export type RemovalListener = (username: string, contact: string, removed: RosterItem) => Promise<void>;

export interface RosterService {
  items(username: string): Promise<ReadonlyMap<string, RosterItem>>;
  item(username: string, contact: string): Promise<RosterItem | undefined>;
  /** Stores and pushes to interested resources; undefined removes (and runs the removal listeners). */
  set(username: string, contact: string, item: RosterItem | undefined): Promise<void>;
  /**
   * Read-modify-write of one item, serialised per user. `fn` gets the current item and the
   * number of items, and returns the item to store (undefined removes), or `current` itself for
   * no change. It may throw (a StanzaError, say) to abort. Pushes when something changed; does
   * not run removal listeners (a subscription change is not the user removing a contact).
   */
  modify(username: string, contact: string, fn: (current: RosterItem | undefined, size: number) => RosterItem | undefined): Promise<RosterChange>;
  /** The current roster version (§2.6). */
  version(username: string): Promise<string>;
  onRemoved(listener: RemovalListener): Disposable;
}

/** What the map store holds under a contact's key. */
export type StoredItem = Omit<RosterItem, 'jid'>;
/** What it holds under META_KEY. */
export interface RosterMeta { epoch: string; counter: number }
export type RosterEntry = StoredItem | RosterMeta;

/** '#' is not allowed in a domainpart (RFC 7622 §3.2), so no prepared bare JID equals this key. */
export const META_KEY = '#meta';

interface RosterState {
  epoch?: string;
  counter: number;
  items: ReadonlyMap<string, RosterItem>;
}

const versionOf = (s: RosterState): string => (s.epoch ? `${s.epoch}-${s.counter}` : '0');

export interface RosterDeps {
  store: MapStore<RosterEntry>;
  sessions: SessionRegistry;
  log: Logger;
  /** Users whose rosters stay cached. */
  cacheUsers: number;
  /** Removal effects when no listener is registered (no presence module loaded). */
  fallbackRemoval: RemovalListener;
}

function freeze(item: RosterItem): RosterItem {
  const out: RosterItem = { jid: item.jid, groups: Object.freeze([...item.groups]) as string[], subscription: item.subscription };
  if (item.name !== undefined) out.name = item.name;
  if (item.ask) out.ask = item.ask;
  if (item.approved) out.approved = true;
  return Object.freeze(out);
}

function toStored(item: RosterItem): StoredItem {
  const { jid: _jid, ...rest } = item;
  return { ...rest, groups: [...item.groups] };
}

function sameItem(a: RosterItem, b: RosterItem): boolean {
  return a.jid === b.jid && a.name === b.name && a.subscription === b.subscription && a.ask === b.ask
    && !!a.approved === !!b.approved && a.groups.length === b.groups.length && a.groups.every((g, i) => g === b.groups[i]);
}

export class Roster {
  private readonly cache = new Map<string, RosterState>();
  private readonly loading = new Map<string, Promise<RosterState>>();
  private readonly serial = new KeyedSerial();
  private readonly listeners = new Set<RemovalListener>();
  readonly service: RosterService;

  constructor(private readonly d: RosterDeps) {
    this.service = {
      items: async (username) => (await this.state(username)).items,
      item: async (username, contact) => (await this.state(username)).items.get(contact),
      set: async (username, contact, item) => {
        if (item === undefined) await this.remove(username, contact);
        else await this.modify(username, contact, () => ({ ...item, jid: contact }));
      },
      modify: (username, contact, fn) => this.modify(username, contact, fn),
      version: async (username) => versionOf(await this.state(username)),
      onRemoved: (listener) => {
        this.listeners.add(listener);
        return { dispose: () => { this.listeners.delete(listener); } };
      },
    };
  }

  /** Items and version read together, for a roster result. */
  async snapshot(username: string): Promise<{ ver: string; items: ReadonlyMap<string, RosterItem> }> {
    const s = await this.state(username);
    return { ver: versionOf(s), items: s.items };
  }

  private state(username: string): Promise<RosterState> {
    const hit = this.cache.get(username);
    if (hit) {
      // Map order is the LRU order.
      this.cache.delete(username);
      this.cache.set(username, hit);
      return Promise.resolve(hit);
    }
    const pending = this.loading.get(username);
    if (pending) return pending;
    const p: Promise<RosterState> = this.d.store.all(username).then((all) => {
      const s = this.parse(username, all);
      // A write that finished meanwhile has cached something newer: then keep that.
      if (this.loading.get(username) === p) {
        this.loading.delete(username);
        this.remember(username, s);
      }
      return s;
    }, (err: unknown) => {
      if (this.loading.get(username) === p) this.loading.delete(username);
      throw err;
    });
    this.loading.set(username, p);
    return p;
  }

  private parse(username: string, all: Map<string, RosterEntry>): RosterState {
    const items = new Map<string, RosterItem>();
    let meta: RosterMeta | undefined;
    for (const [key, value] of all) {
      if (key === META_KEY) {
        meta = value as RosterMeta;
        continue;
      }
      const stored = value as StoredItem;
      if (!stored || typeof stored !== 'object' || !Array.isArray(stored.groups)) {
        this.d.log.warn({ username, contact: key }, 'ignoring a malformed stored roster item');
        continue;
      }
      items.set(key, freeze({ ...stored, jid: key }));
    }
    return meta ? { epoch: meta.epoch, counter: meta.counter, items } : { counter: 0, items };
  }

  private remember(username: string, s: RosterState): void {
    this.cache.set(username, s);
    while (this.cache.size > this.d.cacheUsers) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }

  private forget(username: string): void {
    this.cache.delete(username);
    this.loading.delete(username);
  }

  modify(username: string, contact: string, fn: (current: RosterItem | undefined, size: number) => RosterItem | undefined): Promise<RosterChange> {
    return this.serial.run(username, async () => {
      const s = await this.state(username);
      const before = s.items.get(contact);
      const proposed = fn(before, s.items.size);
      if (proposed === before) return { before, after: before };
      const after = proposed ? freeze({ ...proposed, jid: contact }) : undefined;
      if (before && after && sameItem(before, after)) return { before, after: before };
      if (!before && !after) return { before, after };
      const epoch = s.epoch ?? `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
      const counter = s.counter + 1;
      try {
        await this.d.store.setMany(username, [[contact, after ? toStored(after) : undefined], [META_KEY, { epoch, counter }]]);
      } catch (err) {
        // The store may or may not hold the write: the next read must come from it.
        this.forget(username);
        throw err;
      }
      const items = new Map(s.items);
      if (after) items.set(contact, after);
      else items.delete(contact);
      const next: RosterState = { epoch, counter, items };
      this.loading.delete(username);
      this.remember(username, next);
      this.push(username, versionOf(next), after ? itemElement(after) : removedItemElement(contact));
      return { before, after };
    });
  }

  /** Removes an item as the user asked (§2.5); returns what was removed. */
  async remove(username: string, contact: string): Promise<RosterItem | undefined> {
    const { before } = await this.modify(username, contact, () => undefined);
    if (before) await this.removalEffects(username, contact, before);
    return before;
  }

  private async removalEffects(username: string, contact: string, removed: RosterItem): Promise<void> {
    const listeners = this.listeners.size ? [...this.listeners] : [this.d.fallbackRemoval];
    for (const l of listeners) {
      try {
        await l(username, contact, removed);
      } catch (err) {
        this.d.log.error({ err, username, contact }, 'roster removal listener failed');
      }
    }
  }

  /** §2.1.6: a push goes to every interested resource, the one that caused it included. */
  private push(username: string, ver: string, item: Element): void {
    for (const s of this.d.sessions.sessionsOf(username)) {
      if (!s.rosterInterested || s.closed || !s.jid) continue;
      s.send(xml('iq', { type: 'set', id: newId(), from: s.jid.bareString, to: s.jid.toString() }, queryElement(ver, [item])));
    }
  }

  /**
   * Account deletion: the roster goes, and each contact is told the subscriptions are over
   * (XEP-0077 §3.2 asks a server to cancel them when an account is removed).
   */
  async purge(username: string): Promise<void> {
    const items = await this.serial.run(username, async () => {
      const s = await this.state(username);
      await this.d.store.deleteUser(username);
      this.forget(username);
      return s.items;
    });
    for (const [contact, item] of items) await this.removalEffects(username, contact, item);
  }
}
