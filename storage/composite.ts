/**
 * Routes each store name to a provider: `storage.stores.archive: mongodb` puts the MAM archive on
 * MongoDB while every other store stays on the default provider. A store lives wholly on one
 * provider, so every shape's semantics (ids, atomic setMany, users()) are that provider's.
 */
import type { ArchiveOptions, ArchiveStore, KeyValueStore, MapStore, StorageProvider } from './types.js';

export class CompositeProvider implements StorageProvider {
  readonly name: string;
  private readonly all: StorageProvider[];

  constructor(private readonly fallback: StorageProvider, private readonly routes: ReadonlyMap<string, StorageProvider>) {
    this.all = [...new Set([fallback, ...routes.values()])];
    this.name = this.all.length === 1 ? fallback.name : `composite(${this.all.map((p) => p.name).join('+')})`;
  }

  /** The provider that holds `store`. */
  providerFor(store: string): StorageProvider {
    return this.routes.get(store) ?? this.fallback;
  }

  keyval<T>(host: string, store: string): KeyValueStore<T> { return this.providerFor(store).keyval<T>(host, store); }
  map<T>(host: string, store: string): MapStore<T> { return this.providerFor(store).map<T>(host, store); }
  archive<T>(host: string, store: string, opts?: ArchiveOptions): ArchiveStore<T> { return this.providerFor(store).archive<T>(host, store, opts); }

  async purgeUser(host: string, user: string): Promise<void> {
    for (const p of this.all) await p.purgeUser(host, user);
  }

  async close(): Promise<void> {
    const errors: unknown[] = [];
    for (const p of this.all) await p.close().catch((e: unknown) => { errors.push(e); });
    if (errors.length) throw errors[0];
  }
}
