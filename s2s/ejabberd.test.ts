/**
 * Federation with a real ejabberd 23.01 (Debian) on loopback: a Tern user and an ejabberd user
 * subscribe to each other, see presence and chat both ways, with Server Dialback (XEP-0220;
 * neither trusts the other's CA) and with certificates from one CA and SASL EXTERNAL (XEP-0178;
 * ejabberd without its dialback module). ejabberd finds Tern through a loopback DNS stub.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { caPaths, certPathsFor, ensureLocalCertificates } from '../certs/index.js';
import { connect, createUser, is, type TestClient, xml } from '../test/harness/clients.js';
import { CERTS_DIR, startServer, type TestServer, trustTestCa } from '../test/harness/server.js';
import { startDnsStub, type DnsStub } from './testing/dns-stub.js';
import { type Ejabberd, ejabberdInstalled, makeEjabberd } from './testing/ejabberd.js';
import { freePort } from './testing/prosody.js';

const TERN = 'tern.test';
const PEER = 'b.test';

for (const mode of ['dialback', 'certificates'] as const) {
  describe(`s2s with ejabberd: ${mode} @e2e`, function () {
    this.timeout(90_000);
    let tern: TestServer;
    let ej: Ejabberd;
    let dns: DnsStub;
    let otherCaDir: string | undefined;
    let alice: TestClient;
    let carol: TestClient;

    before(async function () {
      if (!ejabberdInstalled()) {
        if (process.env.CI) throw new Error('ejabberd is not installed (see .ci/run)');
        this.skip();
      }
      const secure = mode === 'certificates';
      const dir = secure ? CERTS_DIR : (otherCaDir = mkdtempSync(path.join(tmpdir(), 'tern-other-ca-')));
      ensureLocalCertificates(dir, [PEER]);
      const p = certPathsFor(dir, PEER);
      const pem = readFileSync(p.key, 'utf8') + readFileSync(p.cert, 'utf8');
      if (!secure) trustTestCa(caPaths(dir).cert);
      const ejS2S = await freePort();
      tern = await startServer({
        domain: TERN,
        config: { s2s: { domains: { [PEER]: { host: '127.0.0.1', port: ejS2S } }, ca_files: [caPaths(CERTS_DIR).cert] } },
      });
      dns = await startDnsStub({ [TERN]: '127.0.0.1' }, { [`_xmpp-server._tcp.${TERN}`]: ['127.0.0.1', tern.s2sPort] });
      ej = await makeEjabberd({ domain: PEER, pem, secureAuth: secure, caFile: secure ? caPaths(CERTS_DIR).cert : undefined, dnsPort: dns.port, s2sPort: ejS2S });
      await ej.start();
      await createUser(tern, 'alice', 'alice-pass');
      await createUser({ domain: PEER, port: ej.port } as TestServer, 'carol', 'carol-pass');
      alice = await connect(tern, 'alice', 'alice-pass');
      carol = await connect({ domain: PEER, port: ej.port } as TestServer, 'carol', 'carol-pass');
    });

    after(async () => {
      await alice?.stop();
      await carol?.stop();
      if (ej && process.env.TERN_TEST_LOG) process.stderr.write(ej.log());
      await ej?.stop();
      await dns?.close();
      await tern?.cleanup();
      if (otherCaDir) rmSync(otherCaDir, { recursive: true, force: true });
    });

    it('subscribes both ways, shows presence and chats both ways', async () => {
      await alice.send(xml('presence', { type: 'subscribe', to: `carol@${PEER}` }));
      await carol.inbox.next(is.presence(`alice@${TERN}`, 'subscribe'), 20_000, 'subscribe from alice');
      await carol.send(xml('presence', { type: 'subscribed', to: `alice@${TERN}` }));
      await alice.inbox.next(is.presence(`carol@${PEER}`, 'subscribed'), 20_000, 'subscribed from carol');
      await alice.inbox.next(is.presence(carol.jid, undefined), 10_000, "carol's presence");
      await carol.send(xml('presence', { type: 'subscribe', to: `alice@${TERN}` }));
      await alice.inbox.next(is.presence(`carol@${PEER}`, 'subscribe'), 10_000, 'subscribe from carol');
      await alice.send(xml('presence', { type: 'subscribed', to: `carol@${PEER}` }));
      await carol.inbox.next(is.presence(alice.jid, undefined), 10_000, "alice's presence");

      await alice.send(xml('message', { type: 'chat', to: carol.jid }, xml('body', {}, 'hello ejabberd')));
      assert.equal((await carol.inbox.next(is.chat('hello ejabberd'), 10_000, 'message at ejabberd')).attrs.from, alice.jid);
      await carol.send(xml('message', { type: 'chat', to: `alice@${TERN}` }, xml('body', {}, 'hello tern')));
      assert.equal((await alice.inbox.next(is.chat('hello tern'), 10_000, 'message at tern')).attrs.from, carol.jid);
    });

    it(`authenticated both directions with ${mode === 'dialback' ? 'dialback' : 'SASL EXTERNAL'}`, () => {
      const want = mode === 'dialback' ? 'dialback' : 'sasl-external';
      const auth = tern.logs.filter((l) => l.msg === 's2s stream authenticated' && l.remote === PEER);
      assert.equal(auth.find((l) => l.direction === 'out')?.auth, want);
      assert.equal(auth.find((l) => l.direction === 'in')?.auth, want);
    });
  });
}
