/**
 * The directory index: one entry per user who opted in, built on the first search from one pass
 * over the opt-in store (never over every vCard) and kept current by vCard changes and opt-in
 * changes. A user who opted out is not in the index at all, so no query can find them.
 */
import type { KeyValueStore } from '../../../storage/types.js';
import { type Entry, matches, type Term } from './query.js';

export interface DirectoryPref { searchable: boolean }

export interface DirectoryDeps {
  prefs: KeyValueStore<DirectoryPref>;
  /** The user's directory fields from their vCard. */
  card(username: string): Promise<Omit<Entry, 'username'>>;
}

export class Directory {
  private index?: Promise<Map<string, Entry>>;

  constructor(private readonly d: DirectoryDeps) {}

  private load(): Promise<Map<string, Entry>> {
    this.index ??= (async () => {
      const m = new Map<string, Entry>();
      for await (const u of this.d.prefs.users()) {
        if ((await this.d.prefs.get(u))?.searchable) m.set(u, { username: u, ...await this.d.card(u) });
      }
      return m;
    })();
    this.index.catch(() => { this.index = undefined; });
    return this.index;
  }

  async searchable(username: string): Promise<boolean> {
    return (await this.d.prefs.get(username))?.searchable === true;
  }

  async setSearchable(username: string, on: boolean): Promise<void> {
    await this.d.prefs.set(username, on ? { searchable: true } : undefined);
    if (!this.index) return;
    const m = await this.index;
    if (on) m.set(username, { username, ...await this.d.card(username) });
    else m.delete(username);
  }

  /** A vCard changed: the entry follows, if the user is listed. */
  async changed(username: string): Promise<void> {
    if (!this.index) return;
    const m = await this.index;
    if (m.has(username)) m.set(username, { username, ...(await this.d.card(username)) });
  }

  async removed(username: string): Promise<void> {
    if (this.index) (await this.index).delete(username);
  }

  /** Matching entries in username order, at most `limit`. */
  async search(terms: readonly Term[], limit: number): Promise<Entry[]> {
    const out: Entry[] = [];
    for (const e of (await this.load()).values()) if (matches(e, terms)) out.push(e);
    out.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
    return out.slice(0, limit);
  }
}
