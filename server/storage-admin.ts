/**
 * `tern storage check` and `tern storage migrate`: the storage side of the CLI.
 * Both return true on success; the CLI turns that into exit code 0 (else 1).
 */
import { embeddedInventory, openEmbeddedStorage } from '../storage/embedded/provider.js';
import { describeMismatch, migrate, type MigrationTarget } from '../storage/migrate.js';
import { inspectIndexes, openMongoStorage } from '../storage/mongodb/provider.js';
import { mongoOptions } from '../storage/open.js';
import type { TernConfig } from './config/schema.js';

type Out = (line: string) => void;

/** Providers in use and, for MongoDB, the indexes present and missing (without creating any). */
export async function storageCheck(config: TernConfig, out: Out): Promise<boolean> {
  const used = new Set([config.storage.provider, ...Object.values(config.storage.stores)]);
  const routed = Object.entries(config.storage.stores).map(([s, p]) => `${s} → ${p}`).join(', ');
  out(`storage: default ${config.storage.provider}${routed ? `; ${routed}` : ''}`);
  let ok = true;
  if (used.has('embedded')) {
    const p = openEmbeddedStorage({ dir: config.data_dir, synchronous: config.storage.embedded.synchronous });
    await p.close();
    out(`embedded: ok (${config.data_dir}; schema and indexes are created at open)`);
  }
  if (used.has('mongodb')) {
    const p = await openMongoStorage({ ...mongoOptions(config), ensureIndexes: false });
    try {
      const { present, missing } = await inspectIndexes(p.db);
      for (const i of present) out(`mongodb index ${i.collection}.${i.name}: ok`);
      for (const i of missing) out(`mongodb index ${i.collection}.${i.name}: MISSING ${JSON.stringify(i.key)}${i.unique ? ' unique' : ''} (serves ${i.serves}; created at the next start)`);
      ok = missing.length === 0;
      out(`mongodb: ${ok ? 'ok' : `${missing.length} index(es) missing`} (database ${config.storage.mongodb.database}, ${p.transactions ? 'replica set or sharded: transactions available' : 'standalone: no transactions'})`);
    } finally {
      await p.close();
    }
  }
  return ok;
}

export async function storageMigrate(config: TernConfig, out: Out): Promise<boolean> {
  const source = openEmbeddedStorage({ dir: config.data_dir, synchronous: config.storage.embedded.synchronous });
  try {
    const mongo = await openMongoStorage(mongoOptions(config));
    try {
      const target: MigrationTarget = {
        provider: mongo,
        importArchive: (host, store, user, records) => mongo.archive<unknown>(host, store).importRecords(user, records),
      };
      const refs = embeddedInventory(source);
      out(`migrating ${refs.length} store(s) from embedded (${config.data_dir}) to mongodb (database ${config.storage.mongodb.database})`);
      const report = await migrate(source, refs, target, out);
      for (const m of report.mismatches) out(`MISMATCH ${describeMismatch(m)}`);
      out(report.mismatches.length === 0 ? 'verified: every store has the same users and item counts in both' : `verification failed: ${report.mismatches.length} mismatch(es)`);
      return report.mismatches.length === 0;
    } finally {
      await mongo.close();
    }
  } finally {
    await source.close();
  }
}
