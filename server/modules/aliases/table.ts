/**
 * The alias table of a host: one record (host-wide key '') mapping alias localpart → owner, read
 * whole. Aliases are few and set by an administrator, and the `tern alias` CLI writes from another
 * process, so the server re-reads the record every `refreshMs` instead of caching forever.
 */
import { StanzaError } from '../../core/errors.js';
import { JidError, prepareLocal } from '../../core/jid.js';
import type { KeyValueStore } from '../../../storage/types.js';
import type { AliasService } from './service.js';

export type AliasRecord = Record<string, { owner: string; created: number }>;

export interface TableDeps {
  store: KeyValueStore<AliasRecord>;
  accountExists(username: string): Promise<boolean>;
}

const HOST_WIDE = '';

function prepare(name: string): string {
  try {
    return prepareLocal(name);
  } catch (err) {
    if (err instanceof JidError) throw new StanzaError('jid-malformed', `${name} is not a valid localpart`);
    throw err;
  }
}

export class AliasTable {
  private owners = new Map<string, string>();

  constructor(private readonly d: TableDeps) {}

  async refresh(): Promise<void> {
    const rec = (await this.d.store.get(HOST_WIDE)) ?? {};
    this.owners = new Map(Object.entries(rec).map(([a, v]) => [a, v.owner]));
  }

  ownerOf(alias: string): string | undefined {
    return this.owners.get(alias);
  }

  /** Read from storage, for decisions that must not be stale (account creation). */
  async isAlias(name: string): Promise<boolean> {
    return ((await this.d.store.get(HOST_WIDE)) ?? {})[name] !== undefined;
  }

  private async write(fn: (rec: AliasRecord) => void): Promise<void> {
    const rec = { ...((await this.d.store.get(HOST_WIDE)) ?? {}) };
    fn(rec);
    await this.d.store.set(HOST_WIDE, Object.keys(rec).length ? rec : undefined);
    this.owners = new Map(Object.entries(rec).map(([a, v]) => [a, v.owner]));
  }

  async removeOwner(owner: string): Promise<void> {
    await this.write((rec) => { for (const [a, v] of Object.entries(rec)) if (v.owner === owner) delete rec[a]; });
  }

  service(): AliasService {
    return {
      add: async (rawAlias, rawOwner) => {
        const alias = prepare(rawAlias);
        const owner = prepare(rawOwner);
        if (await this.d.accountExists(alias)) throw new StanzaError('conflict', `${alias} is an account`);
        if (!(await this.d.accountExists(owner))) throw new StanzaError('item-not-found', `${owner} is not an account`);
        await this.write((rec) => {
          if (rec[alias]) throw new StanzaError('conflict', `${alias} is already an alias of ${rec[alias]!.owner}`);
          rec[alias] = { owner, created: Date.now() };
        });
      },
      remove: async (rawAlias) => {
        const alias = prepare(rawAlias);
        await this.write((rec) => {
          if (!rec[alias]) throw new StanzaError('item-not-found', `${alias} is not an alias`);
          delete rec[alias];
        });
      },
      list: async (owner) => {
        await this.refresh();
        const o = owner === undefined ? undefined : prepare(owner);
        return [...this.owners].filter(([, v]) => o === undefined || v === o).map(([alias, v]) => ({ alias, owner: v })).sort((a, b) => (a.alias < b.alias ? -1 : 1));
      },
      ownerOf: (a) => this.ownerOf(a),
    };
  }
}
