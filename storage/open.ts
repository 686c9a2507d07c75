/**
 * Opens the storage the configuration names: `storage.provider` for every store, except those
 * `storage.stores` assigns to another provider. Only providers something uses are opened.
 */
import type { TernConfig } from '../server/config/schema.js';
import { ServerError } from '../server/core/errors.js';
import { CompositeProvider } from './composite.js';
import { openEmbeddedStorage } from './embedded/provider.js';
import { openMongoStorage, type MongoStorageOptions } from './mongodb/provider.js';
import type { StorageProvider } from './types.js';

export type ProviderName = 'embedded' | 'mongodb';

export function mongoOptions(config: TernConfig): MongoStorageOptions {
  const m = config.storage.mongodb;
  if (!m.url) throw new ServerError('TERN_ERR_CONFIG', 'storage.mongodb.url is required when a store uses mongodb');
  const o: MongoStorageOptions = {
    url: m.url,
    database: m.database,
    writeConcern: m.write_concern,
    journal: m.journal,
    writeTimeoutMs: m.write_timeout_ms,
    readConcern: m.read_concern,
    serverSelectionTimeoutMs: m.server_selection_timeout_ms,
    connectTimeoutMs: m.connect_timeout_ms,
  };
  if (m.tls.enabled !== null) o.tls = m.tls.enabled;
  if (m.tls.ca_file) o.tlsCAFile = m.tls.ca_file;
  if (m.tls.certificate_key_file) o.tlsCertificateKeyFile = m.tls.certificate_key_file;
  return o;
}

export async function openProvider(name: ProviderName, config: TernConfig): Promise<StorageProvider> {
  return name === 'embedded'
    ? openEmbeddedStorage({ dir: config.data_dir, synchronous: config.storage.embedded.synchronous })
    : openMongoStorage(mongoOptions(config));
}

export async function openStorage(config: TernConfig): Promise<StorageProvider> {
  const wanted = new Set<ProviderName>([config.storage.provider, ...Object.values(config.storage.stores)]);
  const opened = new Map<ProviderName, StorageProvider>();
  try {
    for (const name of wanted) opened.set(name, await openProvider(name, config));
  } catch (err) {
    for (const p of opened.values()) await p.close().catch(() => {});
    throw err;
  }
  const fallback = opened.get(config.storage.provider)!;
  if (opened.size === 1) return fallback;
  const routes = new Map(Object.entries(config.storage.stores).map(([store, name]) => [store, opened.get(name)!]));
  return new CompositeProvider(fallback, routes);
}
