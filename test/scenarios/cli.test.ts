/** The `tern` command as a shell user meets it: messages and exit codes. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, RawClient } from '../harness/clients.js';
import { CERTS_DIR, runCli, startServer, type TestServer } from '../harness/server.js';

describe('tern CLI @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  before(async () => { server = await startServer({ config: { hosts: [{ domain: 'localhost', registration: 'closed' }] } }); });
  after(async () => { await server?.cleanup(); });

  it('adduser reads the password from stdin; the account can log in; a duplicate fails with exit 1', async () => {
    const r = await server.cli(['adduser', 'erin@localhost'], 'erin-secret\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created erin@localhost/);
    const c = await connect(server, 'erin', 'erin-secret');
    await c.stop();
    const again = await server.cli(['adduser', 'erin@localhost'], 'whatever1\n');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /taken/);
  });

  it('enforces the password policy and validates the JID', async () => {
    const short = await server.cli(['adduser', 'frank@localhost'], 'short\n');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 8/);
    const bad = await server.cli(['adduser', 'not a jid'], 'whatever1\n');
    assert.equal(bad.code, 2);
    const foreign = await server.cli(['adduser', 'x@elsewhere.example'], 'whatever1\n');
    assert.equal(foreign.code, 78);
    assert.match(foreign.stderr, /not a host/);
  });

  it('passwd changes the password: the old one stops working', async () => {
    await server.cli(['adduser', 'gina@localhost'], 'gina-old-pass\n');
    const r = await server.cli(['passwd', 'gina@localhost'], 'gina-new-pass\n');
    assert.equal(r.code, 0, r.stderr);
    await assert.rejects(connect(server, 'gina', 'gina-old-pass'), /not-authorized/);
    await (await connect(server, 'gina', 'gina-new-pass')).stop();
  });

  it('deluser removes the account: it can no longer log in', async () => {
    await server.cli(['adduser', 'hank@localhost'], 'hank-password\n');
    const raw = await RawClient.connect(server.port);
    await raw.login('hank', 'hank-password');
    const r = await server.cli(['deluser', 'hank@localhost']);
    assert.equal(r.code, 0, r.stderr);
    await assert.rejects(connect(server, 'hank', 'hank-password'), /not-authorized/);
    assert.equal((await server.cli(['deluser', 'hank@localhost'])).code, 1, 'deleting twice fails');
  });

  it('check reports config, certificate and ports; a busy port fails it', async () => {
    const r = await server.cli(['check']);
    // The running server holds its ports: the check must say so.
    assert.match(r.stdout, /config: ok/);
    assert.match(r.stdout, /certificate localhost: ok \(local CA\)/);
    const dir = mkdtempSync(path.join(tmpdir(), 'tern-cli-'));
    try {
      const cfg = path.join(dir, 'tern.yml');
      writeFileSync(cfg, JSON.stringify({ listeners: { c2s: { host: '127.0.0.1', port: server.port }, c2s_direct_tls: { host: '127.0.0.1', port: 0 } }, tls: { certs_dir: CERTS_DIR } }));
      const busy = await runCli(['check', '--config', cfg]);
      assert.equal(busy.code, 1);
      assert.match(busy.stdout, new RegExp(`listener c2s 127.0.0.1:${server.port}: FAIL: port in use`));
      writeFileSync(cfg, 'limits:\n  max_depth: 2\n');
      const invalid = await runCli(['check', '--config', cfg]);
      assert.equal(invalid.code, 78);
      assert.match(invalid.stderr, /limits\.max_depth: must be at least 4/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2', async () => {
    assert.equal((await runCli(['frobnicate'])).code, 2);
    assert.equal((await runCli([])).code, 2);
    assert.equal((await runCli(['--help'])).code, 0);
  });
});
