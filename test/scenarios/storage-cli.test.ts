/** `tern start` and `tern storage …` with MongoDB configured but unreachable (a closed loopback port). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CERTS_DIR, runCli } from '../harness/server.js';

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('tern with MongoDB storage @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  let config: string;
  let port: number;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tern-mongo-cli-'));
    port = await closedPort();
    config = path.join(dir, 'tern.yml');
    writeFileSync(config, [
      `data_dir: ${JSON.stringify(path.join(dir, 'data'))}`,
      'listeners: { c2s: { host: 127.0.0.1, port: 0 }, c2s_direct_tls: { host: 127.0.0.1, port: 0 } }',
      `tls: { certs_dir: ${JSON.stringify(CERTS_DIR)} }`,
      'storage:',
      '  provider: mongodb',
      `  mongodb: { url: "mongodb://tern:hunter2@127.0.0.1:${port}/", server_selection_timeout_ms: 500, connect_timeout_ms: 500 }`,
      '',
    ].join('\n'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('start fails at once with exit 1 and says MongoDB is unreachable, without the password', async () => {
    const t0 = Date.now();
    const r = await runCli(['start', '-c', config]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`tern: TERN_ERR_STORAGE_UNAVAILABLE: cannot open MongoDB storage at mongodb://tern:\\*\\*\\*@127\\.0\\.0\\.1:${port}/ \\(database tern\\): MongoDB unavailable`));
    assert.doesNotMatch(r.stderr + r.stdout, /hunter2/);
    assert.ok(Date.now() - t0 < 20_000);
  });

  it('storage check and storage migrate fail with exit 1 when MongoDB cannot be reached', async () => {
    const check = await runCli(['storage', 'check', '-c', config]);
    assert.equal(check.code, 1, check.stderr);
    assert.match(check.stdout, /storage: default mongodb/);
    assert.match(check.stderr, /TERN_ERR_STORAGE_UNAVAILABLE/);
    const migrate = await runCli(['storage', 'migrate', '--from', 'embedded', '--to', 'mongodb', '-c', config]);
    assert.equal(migrate.code, 1, migrate.stderr);
    assert.match(migrate.stderr, /cannot open MongoDB storage/);
  });

  it('storage usage errors exit 2; migrate without a MongoDB URL is a configuration error (78)', async () => {
    assert.equal((await runCli(['storage', 'migrate', '--from', 'mongodb', '--to', 'embedded', '-c', config])).code, 2);
    assert.equal((await runCli(['storage', 'frobnicate', '-c', config])).code, 2);
    const plain = path.join(dir, 'plain.yml');
    writeFileSync(plain, `data_dir: ${JSON.stringify(path.join(dir, 'plain-data'))}\n`);
    const r = await runCli(['storage', 'migrate', '--from', 'embedded', '--to', 'mongodb', '-c', plain]);
    assert.equal(r.code, 78, r.stderr);
    assert.match(r.stderr, /storage\.mongodb\.url is required/);
    const ok = await runCli(['storage', 'check', '-c', plain]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /embedded: ok/);
  });
});
