import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ServerError } from '../../server/core/errors.js';
import { storageContract } from '../contract/index.js';
import type { StorageProvider } from '../types.js';
import { explainArchive, openEmbeddedStorage } from './provider.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./crash-writer.fixture.ts', import.meta.url));

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tern-storage-'));
  tempDirs.push(dir);
  return dir;
}

function isStorageError(err: unknown): boolean {
  return err instanceof ServerError && err.code === 'TERN_ERR_STORAGE' && err.cause !== undefined;
}

/** Opens the file directly, the way an operator's sqlite3 shell would. */
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function raw(dir: string): Database.Database {
  return new Database(join(dir, 'tern.sqlite'));
}

storageContract('embedded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tern-contract-'));
  return {
    open: () => openEmbeddedStorage({ dir }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

/** Every archive opened with deferred durability: the whole contract must hold for them too. */
function deferredArchives(p: StorageProvider): StorageProvider {
  return new Proxy(p, {
    get: (target, prop) => (prop === 'archive'
      ? (host: string, store: string) => target.archive(host, store, { durability: 'deferred' })
      : Reflect.get(target, prop, target) as unknown),
  });
}

storageContract('embedded, archives with deferred durability', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tern-contract-'));
  return {
    open: () => deferredArchives(openEmbeddedStorage({ dir })),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('embedded storage', () => {
  const providers: StorageProvider[] = [];
  const open = (dir: string, synchronous?: 'normal' | 'full') => {
    const p = openEmbeddedStorage({ dir, ...(synchronous ? { synchronous } : {}) });
    providers.push(p);
    return p;
  };

  afterEach(async () => {
    for (const p of providers.splice(0)) await p.close();
  });

  after(async () => {
    for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('creates a missing data directory (0700) holding tern.sqlite in WAL mode with schema version 1', async () => {
    const dir = join(await tempDir(), 'a', 'data');
    const p = open(dir);
    await p.keyval(`h`, 's').set('u', 1);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.ok(existsSync(join(dir, 'tern.sqlite')));
    const db = raw(dir);
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), '1');
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'archive' AND sql IS NOT NULL").pluck().all();
      assert.deepEqual([...indexes].sort(), ['archive_by_id', 'archive_by_time', 'archive_by_with', 'archive_by_with_time']);
    } finally {
      db.close();
    }
  });

  it('applies the synchronous setting (normal by default, full on request) and works with full', async () => {
    const dir = await tempDir();
    const level = (p: StorageProvider) => (p as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true });
    const normal = open(dir);
    assert.equal(level(normal), 1);
    await normal.close();
    const full = open(dir, 'full');
    assert.equal(level(full), 2);
    await full.archive<string>('h', 'mam').append('u', { value: 'durable' });
    await full.close();
    const again = open(dir);
    assert.equal(await again.archive('h', 'mam').count('u'), 1);
  });

  it('refuses an unknown synchronous setting', async () => {
    const dir = await tempDir();
    assert.throws(() => openEmbeddedStorage({ dir, synchronous: 'off' as 'full' }), (e: unknown) => e instanceof ServerError && e.code === 'TERN_ERR_CONFIG');
  });

  it('refuses a database written by a newer schema, and one with a version it does not know', async () => {
    const dir = await tempDir();
    await open(dir).close();
    for (const [version, pattern] of [['2', /newer/], ['banana', /not one this Tern knows/]] as const) {
      const db = raw(dir);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(version);
      db.close();
      assert.throws(() => openEmbeddedStorage({ dir }), (e: unknown) =>
        e instanceof ServerError && e.code === 'TERN_ERR_STORAGE' && pattern.test(e.message));
    }
  });

  it('reports a file that is not a database as a storage error', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'tern.sqlite'), 'this is not a database, just some text that is long enough '.repeat(100));
    assert.throws(() => openEmbeddedStorage({ dir }), isStorageError);
  });

  it('turns use after close into rejected ServerErrors, not exceptions thrown synchronously', async () => {
    const dir = await tempDir();
    const p = openEmbeddedStorage({ dir });
    await p.close();
    await p.close();
    const a = p.archive('h', 'mam');
    const calls: [string, () => Promise<unknown>][] = [
      ['keyval.get', () => p.keyval('h', 's').get('u')],
      ['keyval.set', () => p.keyval('h', 's').set('u', 1)],
      ['map.setMany', () => p.map('h', 's').setMany('u', [['k', 1]])],
      ['map.all', () => p.map('h', 's').all('u')],
      ['archive.append', () => a.append('u', { value: 1 })],
      ['archive.find', () => a.find('u')[Symbol.asyncIterator]().next()],
      ['archive.count', () => a.count('u')],
      ['archive.delete', () => a.delete('u')],
      ['archive.users', () => a.users()[Symbol.asyncIterator]().next()],
      ['purgeUser', () => p.purgeUser('h', 'u')],
    ];
    for (const [name, call] of calls) {
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => { promise = call(); }, name);
      await assert.rejects(promise!, isStorageError, name);
    }
  });

  it('reports a row whose JSON does not parse as a storage error', async () => {
    const dir = await tempDir();
    const p = open(dir);
    await p.keyval('h', 's').set('u', { ok: true });
    await p.archive('h', 'mam').append('u', { value: 1 });
    const db = raw(dir);
    db.exec(`UPDATE keyval SET value = '{"ok":'; UPDATE archive SET value = 'nope'`);
    db.close();
    await assert.rejects(p.keyval('h', 's').get('u'), (e: unknown) => isStorageError(e) && (e as ServerError).cause instanceof SyntaxError);
    await assert.rejects(p.archive('h', 'mam').find('u')[Symbol.asyncIterator]().next(), isStorageError);
  });

  it('rejects a value that is not JSON-serialisable instead of storing something else', async () => {
    const p = open(await tempDir());
    await assert.rejects(p.keyval('h', 's').set('u', (() => 1) as unknown), isStorageError);
    await assert.rejects(p.archive('h', 'mam').append('u', { value: 10n as unknown }), isStorageError);
    assert.equal(await p.keyval('h', 's').get('u'), undefined);
    assert.equal(await p.archive('h', 'mam').count('u'), 0);
  });

  it('commits writes issued together as one group, where one failing write fails only itself', async () => {
    const dir = await tempDir();
    const p = open(dir);
    const a = p.archive<unknown>('h', 'mam');
    const kv = p.keyval<unknown>('h', 's');
    // All issued in one turn of the event loop, so they share one transaction.
    const results = await Promise.allSettled([
      a.append('u', { value: 1 }),
      kv.set('u', 'kept'),
      a.append('u', { value: 10n }),
      a.append('u', { value: 3 }),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    assert.ok(isStorageError((results[2] as PromiseRejectedResult).reason));
    assert.deepEqual((await collect(a.find('u'))).map((r) => r.value), [1, 3]);
    assert.equal(await kv.get('u'), 'kept');
    // A read issued before the group's commit still sees its own store's queued writes.
    const pending = a.append('u', { value: 4 });
    assert.equal(await a.count('u'), 3);
    await pending;
  });

  it('deferred appends: visible here at once, committed within a second or at close, in order with the store\'s other writes', async () => {
    const dir = await tempDir();
    const p = open(dir);
    const a = p.archive<number>('h', 'mam', { durability: 'deferred' });
    const committed = () => { const db = raw(dir); try { return db.prepare("SELECT count(*) FROM archive WHERE store = 'mam'").pluck().get() as number; } finally { db.close(); } };
    const ids = [await a.append('u', { value: 1 }), await a.append('u', { value: 2 })];
    assert.deepEqual((await collect(a.find('u'))).map((r) => [r.id, r.value]), [[ids[0], 1], [ids[1], 2]]);
    assert.equal(committed(), 0, 'not yet committed');
    const deadline = Date.now() + 3000;
    while (committed() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(committed(), 2, 'committed within the deferral');
    // A durable write queued before a deferred append of the same store runs before it.
    const del = a.delete('u');
    const id3 = await a.append('u', { value: 3 });
    assert.equal(await del, 2);
    assert.deepEqual((await collect(a.find('u'))).map((r) => r.id), [id3]);
    // A durable write commits what was deferred with it.
    await p.keyval('h', 's').set('u', 'x');
    assert.equal(committed(), 1);
    await a.append('u', { value: 4 });
    await p.close();
    assert.equal(committed(), 2, 'close commits the rest');
  });

  it('moves committed pages into the database file from its own thread, without waiting for SQLite\'s backstop', async () => {
    const dir = await tempDir();
    const p = open(dir);
    const file = join(dir, 'tern.sqlite');
    const before = statSync(file).size;
    const a = p.archive<string>('h', 'mam');
    // About 300 pages of WAL: far below the backstop threshold, so only the checkpointer can move them.
    await Promise.all(Array.from({ length: 2000 }, (_, i) => a.append(`u${i % 50}`, { value: 'x'.repeat(300) })));
    const deadline = Date.now() + 5000;
    while (statSync(file).size <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(statSync(file).size > before + 500_000, `database file grew from ${before} to ${statSync(file).size}`);
    assert.equal(await a.count('u7'), 40);
  });

  it('treats ids that are not canonical rowids as naming no item, and never as "no filter"', async () => {
    const p = open(await tempDir());
    const a = p.archive<number>('h', 'mam');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await a.append('u', { value: i }));
    assert.deepEqual(ids, ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    for (const bad of ['abc', '', '007', '-1', '1e3', '3.0', ' 3', '99999999999999999999']) {
      assert.equal(await a.count('u', { after: bad }), 0, `after ${JSON.stringify(bad)}`);
      assert.equal(await a.count('u', { before: bad }), 0, `before ${JSON.stringify(bad)}`);
      assert.equal(await a.count('u', { ids: [bad] }), 0, `ids ${JSON.stringify(bad)}`);
      assert.equal(await a.delete('u', { after: bad }), 0, `delete after ${JSON.stringify(bad)}`);
    }
    assert.equal(await a.count('u', { ids: ['007', '7'] }), 1);
    assert.equal(await a.count('u'), 10);
  });

  it('serves every archive query shape from an index that starts with the user, whatever the statistics say', async () => {
    const dir = await tempDir();
    let p = openEmbeddedStorage({ dir });
    let a = p.archive<string>('h', 'mam');
    // One user with most rows, as in the MAM benchmark: the statistics then tempted SQLite to walk the rowid.
    for (let i = 0; i < 3000; i++) {
      await a.append('alice', { when: i, with: `c${i % 10}`, value: 'x' });
      if (i % 10 === 0) await a.append(`u${i % 7}`, { when: i, with: 'c0', value: 'x' });
    }
    await p.close(); // runs `PRAGMA optimize`, which gathers statistics
    p = openEmbeddedStorage({ dir });
    a = p.archive<string>('h', 'mam');
    try {
      const shapes = [{}, { reverse: true }, { before: '1500', reverse: true }, { after: '1500' }, { with: 'c3' }, { with: 'c3', before: '1500', reverse: true },
        { start: 10, end: 20 }, { start: 10, reverse: true }, { with: 'c3', start: 10, end: 2000, reverse: true }, { ids: ['1', '2'] }];
      for (const q of shapes) {
        for (const op of ['select', 'count', 'delete'] as const) {
          const plan = explainArchive(a, 'alice', q, op).join(' | ');
          assert.doesNotMatch(plan, /SCAN archive/, `${op} ${JSON.stringify(q)}: ${plan}`);
          assert.match(plan, /SEARCH archive USING (COVERING )?INDEX archive_by_\w+ \(host=\? AND store=\? AND user=\?|INTEGER PRIMARY KEY \(rowid=\?\)/, `${op} ${JSON.stringify(q)}: ${plan}`);
          // Only a time range may sort, and then only ids inside the subquery.
          if (!('start' in q)) assert.doesNotMatch(plan, /TEMP B-TREE/, `${op} ${JSON.stringify(q)}: ${plan}`);
        }
      }
    } finally {
      await p.close();
    }
  });

  it('shares one file between two open providers (the CLI next to a running server)', async () => {
    const dir = await tempDir();
    const server = open(dir);
    const cli = open(dir);
    await cli.keyval<string>('h', 'accounts').set('alice', 'hash');
    assert.equal(await server.keyval('h', 'accounts').get('alice'), 'hash');
    const id = await server.archive<number>('h', 'mam').append('alice', { value: 1 });
    const id2 = await cli.archive<number>('h', 'mam').append('alice', { value: 2 });
    assert.notEqual(id, id2);
    await cli.purgeUser('h', 'alice');
    assert.equal(await server.archive('h', 'mam').count('alice'), 0);
  });

  describe('crash safety', function () {
    this.timeout(120_000);

    /** Runs the writer until it has acknowledged `killAfter` items, then SIGKILLs it. */
    function runWriter(dir: string, round: number, killAfter: number): Promise<{ acked: Map<string, number>; signal: NodeJS.Signals | null }> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, String(round), '2000'], {
          cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'],
        });
        const acked = new Map<string, number>();
        let buf = '';
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          buf += d;
          const lines = buf.split('\n');
          buf = lines.pop()!; // a line without its newline was never fully acknowledged
          for (const line of lines) {
            const [id, n] = line.split(' ');
            acked.set(id!, Number(n));
          }
          if (acked.size >= killAfter && child.exitCode === null && !child.killed) child.kill('SIGKILL');
        });
        child.on('error', reject);
        child.on('close', (code, signal) => {
          if (signal === null && code !== 0) reject(new Error(`writer exited ${code}: ${stderr}`));
          else resolve({ acked, signal });
        });
      });
    }

    it('keeps every acknowledged write intact when the writer is killed with SIGKILL mid-stream', async () => {
      const dir = await tempDir();
      const acknowledged = new Map<string, { round: number; n: number }>();
      const lastN: number[] = [];
      // Three kills at different depths: early, and past WAL auto-checkpoints.
      for (const [round, killAfter] of [[0, 40], [1, 500], [2, 1100]] as const) {
        const { acked, signal } = await runWriter(dir, round, killAfter);
        assert.equal(signal, 'SIGKILL', `round ${round}: the writer finished before it could be killed`);
        assert.ok(acked.size >= killAfter && acked.size < 2000, `round ${round}: ${acked.size} acknowledged`);
        for (const [id, n] of acked) acknowledged.set(id, { round, n });
        lastN[round] = Math.max(...acked.values());

        const db = raw(dir);
        try {
          assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        } finally {
          db.close();
        }

        const p = open(dir);
        type Item = { round: number; n: number; pad: string; sha256: string };
        const seen = new Set<string>();
        let prev = 0;
        for await (const r of p.archive<Item>('crash.example', 'mam').find('alice')) {
          assert.ok(Number(r.id) > prev, 'ids increase');
          prev = Number(r.id);
          const v = r.value;
          assert.equal(createHash('sha256').update(v.pad).digest('hex'), v.sha256, `item ${r.id} is torn`);
          assert.equal(r.with, `peer${v.n % 7}@crash.example`);
          const ack = acknowledged.get(r.id);
          if (ack) assert.deepEqual({ round: v.round, n: v.n }, ack, `item ${r.id} holds another write`);
          seen.add(r.id);
        }
        for (const id of acknowledged.keys()) assert.ok(seen.has(id), `acknowledged item ${id} lost`);
        // At most the one append in flight at the kill may exist without its acknowledgement.
        assert.ok(seen.size - acknowledged.size <= round + 1, `${seen.size} stored, ${acknowledged.size} acknowledged`);

        // setMany wrote both keys in one transaction: never one without the other.
        const progress = await p.map<{ round: number; n: number }>('crash.example', 'progress').all('alice');
        assert.deepEqual(progress.get('a'), progress.get('b'));
        assert.equal(progress.get('a')!.round, round);
        assert.ok(progress.get('a')!.n >= lastN[round]!);
        await p.close();
      }
    });
  });
});
