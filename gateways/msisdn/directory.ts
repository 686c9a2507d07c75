/**
 * The subscriber directory (seed GO-3: accounts correlated with subscriber identities): each
 * account has zero or more canonical E.164 numbers, each either provisioned/verified by the
 * operator or claimed by the user and unverified. A number belongs to at most one account. Only a
 * verified number of an account that is discoverable resolves; everything else (unknown,
 * unverified, undiscoverable) answers exactly the same `undefined` from the same in-memory lookup,
 * so neither the answer nor its timing tells them apart (seed 5.10 privacy).
 */
import { StanzaError } from '../../server/core/errors.js';
import type { KeyValueStore } from '../../storage/types.js';

export interface NumberEntry { e164: string; verified: boolean; since: number }
export interface MsisdnRecord { numbers: NumberEntry[]; discoverable?: boolean }

export interface DirectoryDeps {
  store: KeyValueStore<MsisdnRecord>;
  discoverableByDefault: boolean;
  now?: () => number;
}

interface IndexEntry { username: string; verified: boolean }

export class MsisdnDirectory {
  private index?: Promise<{ numbers: Map<string, IndexEntry>; discoverable: Map<string, boolean> }>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: DirectoryDeps) {}

  private load() {
    this.index ??= (async () => {
      const numbers = new Map<string, IndexEntry>();
      const discoverable = new Map<string, boolean>();
      for await (const u of this.d.store.users()) {
        const r = await this.d.store.get(u);
        if (!r) continue;
        for (const n of r.numbers) numbers.set(n.e164, { username: u, verified: n.verified });
        if (r.discoverable !== undefined) discoverable.set(u, r.discoverable);
      }
      return { numbers, discoverable };
    })();
    this.index.catch(() => { this.index = undefined; });
    return this.index;
  }

  /** Writes one at a time, so two changes to the same number cannot interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async update(username: string, fn: (r: MsisdnRecord) => void): Promise<void> {
    const r = (await this.d.store.get(username)) ?? { numbers: [] };
    const copy: MsisdnRecord = { ...r, numbers: r.numbers.map((n) => ({ ...n })) };
    fn(copy);
    await this.d.store.set(username, copy.numbers.length === 0 && copy.discoverable === undefined ? undefined : copy);
  }

  /** The account a number resolves to for others, or undefined (unknown, unverified or undiscoverable). */
  async resolve(e164: string): Promise<string | undefined> {
    const idx = await this.load();
    const e = idx.numbers.get(e164);
    const ok = e !== undefined && e.verified && (idx.discoverable.get(e.username) ?? this.d.discoverableByDefault);
    return ok ? e.username : undefined;
  }

  /** The operator's view of a number: its account and state, whatever the owner's privacy choice. */
  async owner(e164: string): Promise<IndexEntry | undefined> {
    return (await this.load()).numbers.get(e164);
  }

  async numbers(username: string): Promise<NumberEntry[]> {
    return (await this.d.store.get(username))?.numbers ?? [];
  }

  async discoverable(username: string): Promise<boolean> {
    return (await this.load()).discoverable.get(username) ?? this.d.discoverableByDefault;
  }

  /** Operator provisioning: the number is the account's and verified; an unverified claim by someone else yields. */
  link(username: string, e164: string): Promise<void> {
    return this.serial(async () => {
      const idx = await this.load();
      const cur = idx.numbers.get(e164);
      if (cur && cur.username !== username) {
        if (cur.verified) throw new StanzaError('conflict', 'the number is linked to another account');
        await this.update(cur.username, (r) => { r.numbers = r.numbers.filter((n) => n.e164 !== e164); });
      }
      await this.update(username, (r) => {
        const n = r.numbers.find((x) => x.e164 === e164);
        if (n) n.verified = true;
        else r.numbers.push({ e164, verified: true, since: this.now() });
      });
      idx.numbers.set(e164, { username, verified: true });
    });
  }

  /** A user claims a number: unverified until the operator verifies it. */
  claim(username: string, e164: string): Promise<void> {
    return this.serial(async () => {
      const idx = await this.load();
      const cur = idx.numbers.get(e164);
      if (cur?.username === username) return;
      if (cur) throw new StanzaError('conflict', 'the number is taken');
      await this.update(username, (r) => { r.numbers.push({ e164, verified: false, since: this.now() }); });
      idx.numbers.set(e164, { username, verified: false });
    });
  }

  /** The operator confirms a claim. */
  verify(e164: string): Promise<string> {
    return this.serial(async () => {
      const idx = await this.load();
      const cur = idx.numbers.get(e164);
      if (!cur) throw new StanzaError('item-not-found', 'nobody has claimed the number');
      await this.update(cur.username, (r) => { for (const n of r.numbers) if (n.e164 === e164) n.verified = true; });
      cur.verified = true;
      return cur.username;
    });
  }

  /** Removes a number from whichever account has it (operator), or from `username` only (the user). */
  unlink(e164: string, username?: string): Promise<string> {
    return this.serial(async () => {
      const idx = await this.load();
      const cur = idx.numbers.get(e164);
      if (!cur || (username !== undefined && cur.username !== username)) throw new StanzaError('item-not-found', 'no such number');
      await this.update(cur.username, (r) => { r.numbers = r.numbers.filter((n) => n.e164 !== e164); });
      idx.numbers.delete(e164);
      return cur.username;
    });
  }

  setDiscoverable(username: string, on: boolean): Promise<void> {
    return this.serial(async () => {
      const idx = await this.load();
      await this.update(username, (r) => { r.discoverable = on; });
      idx.discoverable.set(username, on);
    });
  }

  removeUser(username: string): Promise<void> {
    return this.serial(async () => {
      const idx = await this.load();
      for (const [k, v] of idx.numbers) if (v.username === username) idx.numbers.delete(k);
      idx.discoverable.delete(username);
      await this.d.store.set(username, undefined);
    });
  }

  private now(): number { return (this.d.now ?? Date.now)(); }
}
