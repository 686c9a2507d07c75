/**
 * Federation with a real Prosody 0.12 (Debian) on loopback: a Tern user and a Prosody user
 * subscribe to each other, see each other's presence and chat both ways (RFC 6121 §3, §4, §5
 * across servers), once with Server Dialback only (XEP-0220; neither trusts the other's CA) and
 * once with certificates from one CA both trust and SASL EXTERNAL (XEP-0178, s2s_secure_auth).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { caPaths, certPathsFor, ensureLocalCertificates } from '../certs/index.js';
import { connect, createUser, is, type TestClient, xml } from '../test/harness/clients.js';
import { CERTS_DIR, startServer, type TestServer, trustTestCa } from '../test/harness/server.js';
import { freePort, makeProsody, type Prosody, prosodyInstalled } from './testing/prosody.js';

const TERN = 'tern.test';
const PEER = 'a.test';

function authLogs(server: TestServer): Array<{ direction: string; remote: string; auth: string }> {
  return server.logs.filter((l) => l.msg === 's2s stream authenticated') as unknown as Array<{ direction: string; remote: string; auth: string }>;
}

async function waitFor<T>(fn: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const mode of ['dialback', 'certificates'] as const) {
  describe(`s2s with Prosody: ${mode} @e2e`, function () {
    this.timeout(60_000);
    let tern: TestServer;
    let prosody: Prosody;
    let otherCaDir: string | undefined;
    let alice: TestClient;
    let bob: TestClient;

    before(async function () {
      if (!prosodyInstalled()) {
        if (process.env.CI) throw new Error('prosody is not installed (see .ci/run)');
        this.skip();
      }
      const secure = mode === 'certificates';
      let cert: string;
      let key: string;
      if (secure) {
        // One CA for both servers: Tern's test CA issues a.test's certificate too.
        ensureLocalCertificates(CERTS_DIR, [PEER]);
        const p = certPathsFor(CERTS_DIR, PEER);
        cert = readFileSync(p.cert, 'utf8');
        key = readFileSync(p.key, 'utf8');
      } else {
        // A CA Tern does not know: Prosody's certificate cannot authenticate it, nor Tern's (unknown CA to Prosody).
        otherCaDir = mkdtempSync(path.join(tmpdir(), 'tern-other-ca-'));
        ensureLocalCertificates(otherCaDir, [PEER]);
        const p = certPathsFor(otherCaDir, PEER);
        cert = readFileSync(p.cert, 'utf8');
        key = readFileSync(p.key, 'utf8');
        trustTestCa(caPaths(otherCaDir).cert); // only the test's own clients trust it
      }
      const prosodyS2S = await freePort();
      tern = await startServer({
        domain: TERN,
        config: { s2s: { domains: { [PEER]: { host: '127.0.0.1', port: prosodyS2S }, [`conference.${PEER}`]: { host: '127.0.0.1', port: prosodyS2S } }, ca_files: [path.join(CERTS_DIR, 'tern-local-ca.crt')] } },
      });
      prosody = await makeProsody({
        domain: PEER, cert, key, secureAuth: secure, s2sPort: prosodyS2S,
        caFile: secure ? caPaths(CERTS_DIR).cert : undefined,
        routes: { [TERN]: tern.s2sPort, [`conference.${TERN}`]: tern.s2sPort },
      });
      // The account is made offline with prosodyctl, which does not depend on the server's load.
      await prosody.register('bob', 'bob-pass-1');
      await prosody.start();
      await createUser(tern, 'alice', 'alice-pass');
      alice = await connect(tern, 'alice', 'alice-pass');
      bob = await connect({ domain: PEER, port: prosody.port } as TestServer, 'bob', 'bob-pass-1');
    });

    after(async () => {
      await alice?.stop();
      await bob?.stop();
      if (prosody && process.env.TERN_TEST_LOG) process.stderr.write(prosody.log());
      await prosody?.stop();
      await tern?.cleanup();
      if (otherCaDir) rmSync(otherCaDir, { recursive: true, force: true });
    });

    it('subscribes both ways and shows presence', async () => {
      await alice.send(xml('presence', { type: 'subscribe', to: `bob@${PEER}` }));
      const req = await bob.inbox.next(is.presence(`alice@${TERN}`, 'subscribe'), 15_000, 'subscribe from alice');
      assert.equal(req.attrs.from, `alice@${TERN}`);
      await bob.send(xml('presence', { type: 'subscribed', to: `alice@${TERN}` }));
      await alice.inbox.next(is.presence(`bob@${PEER}`, 'subscribed'), 10_000, 'subscribed from bob');
      // Bob's server sends his current presence once alice may see it (RFC 6121 §3.1.5).
      const bobOnline = await alice.inbox.next(is.presence(`bob@${PEER}/`, undefined), 10_000, "bob's presence");
      assert.match(bobOnline.attrs.from!, new RegExp(`^bob@${PEER.replace('.', '\\.')}/`));

      await bob.send(xml('presence', { type: 'subscribe', to: `alice@${TERN}` }));
      await alice.inbox.next(is.presence(`bob@${PEER}`, 'subscribe'), 10_000, 'subscribe from bob');
      await alice.send(xml('presence', { type: 'subscribed', to: `bob@${PEER}` }));
      // Prosody 0.12 takes the inbound 'subscribed' into bob's roster (pushed to roster-interested
      // resources only) and sends alice's presence; the roster is checked below.
      const aliceOnline = await bob.inbox.next(is.presence(`alice@${TERN}/`, undefined), 10_000, "alice's presence");
      assert.equal(aliceOnline.attrs.from, alice.jid);

      const roster = async (c: TestClient) => (await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' }))))
        .getChild('query')!.getChildren('item').map((i) => `${i.attrs.jid}:${i.attrs.subscription}`);
      assert.deepEqual(await roster(bob), [`alice@${TERN}:both`]);
      assert.deepEqual(await roster(alice), [`bob@${PEER}:both`]);

      // A presence change reaches the remote subscriber.
      await alice.send(xml('presence', {}, xml('show', {}, 'away')));
      const away = await bob.inbox.next((el) => is.presence(alice.jid, undefined)(el) && el.getChildText('show') === 'away', 10_000, 'away');
      assert.equal(away.attrs.from, alice.jid);
    });

    it('chats both ways', async () => {
      await alice.send(xml('message', { type: 'chat', to: `bob@${PEER}`, id: 'm1' }, xml('body', {}, 'hello from tern')));
      const m1 = await bob.inbox.next(is.chat('hello from tern'), 10_000, 'message at prosody');
      assert.equal(m1.attrs.from, alice.jid);
      await bob.send(xml('message', { type: 'chat', to: alice.jid, id: 'm2' }, xml('body', {}, 'hello from prosody')));
      const m2 = await alice.inbox.next(is.chat('hello from prosody'), 10_000, 'message at tern');
      assert.equal(m2.attrs.from, bob.jid);
      // To the bare JID too (Tern delivers to alice's session, RFC 6121 §8.5.2).
      await bob.send(xml('message', { type: 'chat', to: `alice@${TERN}` }, xml('body', {}, 'bare')));
      await alice.inbox.next(is.chat('bare'), 10_000, 'bare message at tern');
    });

    it(`authenticated both directions with ${mode === 'dialback' ? 'dialback' : 'SASL EXTERNAL'}`, async () => {
      const want = mode === 'dialback' ? 'dialback' : 'sasl-external';
      const out = await waitFor(() => authLogs(tern).find((l) => l.direction === 'out' && l.remote === PEER), 'outgoing auth log');
      const inc = await waitFor(() => authLogs(tern).find((l) => l.direction === 'in' && l.remote === PEER), 'incoming auth log');
      assert.equal(out.auth, want);
      assert.equal(inc.auth, want);
    });

    it('bounces a message for an unknown user at the peer', async () => {
      await alice.send(xml('message', { type: 'chat', to: `nobody@${PEER}`, id: 'm3' }, xml('body', {}, 'anyone?')));
      const err = await alice.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'm3', 10_000, 'error from prosody');
      assert.equal(err.attrs.from, `nobody@${PEER}`);
      assert.ok(err.getChild('error')?.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    });

    it('probes remote contacts at login and hears when they go offline (RFC 6121 §4.3, §4.5)', async () => {
      await alice.stop();
      alice = await connect(tern, 'alice', 'alice-pass', { presence: false });
      await alice.send(xml('presence'));
      const probed = await alice.inbox.next(is.presence(bob.jid, undefined), 10_000, "bob's presence in answer to the probe");
      assert.equal(probed.attrs.from, bob.jid);
      const bobJid = bob.jid;
      await bob.stop();
      await alice.inbox.next(is.presence(bobJid, 'unavailable'), 10_000, 'bob unavailable');
      bob = await connect({ domain: PEER, port: prosody.port } as TestServer, 'bob', 'bob-pass-1');
      await alice.inbox.next(is.presence(bob.jid, undefined), 10_000, 'bob back');
    });

    it('joins a room at the peer and talks there with a peer user (XEP-0045 across servers)', async () => {
      const room = `lounge@conference.${PEER}`;
      const muc = xml('x', { xmlns: 'http://jabber.org/protocol/muc' });
      await alice.send(xml('presence', { to: `${room}/Alice` }, muc));
      const self = await alice.inbox.next((el) => el.name === 'presence' && el.attrs.from === `${room}/Alice` && !el.attrs.type, 15_000, 'own room presence');
      const statuses = self.getChild('x', 'http://jabber.org/protocol/muc#user')!.getChildren('status').map((st) => st.attrs.code);
      assert.ok(statuses.includes('110'), `self-presence carries 110: ${self.toString()}`);
      await bob.send(xml('presence', { to: `${room}/Bob` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
      await alice.inbox.next((el) => el.name === 'presence' && el.attrs.from === `${room}/Bob`, 10_000, 'bob joins');
      await bob.inbox.next((el) => el.name === 'presence' && el.attrs.from === `${room}/Alice`, 10_000, 'alice in the room');
      await alice.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'hi room')));
      const atBob = await bob.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'hi room', 10_000, 'groupchat at bob');
      assert.equal(atBob.attrs.from, `${room}/Alice`);
      await bob.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'hi alice')));
      const atAlice = await alice.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'hi alice', 10_000, 'groupchat at alice');
      assert.equal(atAlice.attrs.from, `${room}/Bob`);
      assert.equal(atAlice.attrs.type, 'groupchat');
    });

    it('a peer user joins a room here and talks with a local user (XEP-0045 across servers)', async () => {
      const room = `meeting@conference.${TERN}`;
      const muc = () => xml('x', { xmlns: 'http://jabber.org/protocol/muc' });
      await alice.send(xml('presence', { to: `${room}/Alice` }, muc()));
      const created = await alice.inbox.next((el) => el.name === 'presence' && el.attrs.from === `${room}/Alice` && !el.attrs.type, 10_000, 'own presence in the new room');
      const codes = created.getChild('x', 'http://jabber.org/protocol/muc#user')!.getChildren('status').map((st) => st.attrs.code);
      assert.ok(codes.includes('201'), `a new room: ${created.toString()}`);
      // Instant room (XEP-0045 §10.1.2): accept the default configuration.
      const ok = await alice.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))));
      assert.equal(ok.attrs.type, 'result', ok.toString());
      await bob.send(xml('presence', { to: `${room}/Bob` }, muc()));
      const bobSelf = await bob.inbox.next((el) => el.name === 'presence' && el.attrs.from === `${room}/Bob` && !el.attrs.type, 15_000, 'bob in the Tern room');
      assert.ok(bobSelf.getChild('x', 'http://jabber.org/protocol/muc#user')!.getChildren('status').some((st) => st.attrs.code === '110'));
      await alice.inbox.next((el) => el.name === 'presence' && el.attrs.from === `${room}/Bob`, 10_000, 'bob joins');
      await bob.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'hello tern room')));
      const atAlice = await alice.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'hello tern room', 10_000, 'groupchat at alice');
      assert.equal(atAlice.attrs.from, `${room}/Bob`);
      await alice.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'welcome bob')));
      const atBob = await bob.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'welcome bob', 10_000, 'groupchat at bob');
      assert.equal(atBob.attrs.from, `${room}/Alice`);
      assert.equal(atBob.attrs.type, 'groupchat');
    });
  });
}

describe('s2s with Prosody: direct TLS (XEP-0368) @e2e', function () {
  this.timeout(60_000);
  let tern: TestServer;
  let prosody: Prosody;
  let alice: TestClient;
  let bob: TestClient;

  before(async function () {
    if (!prosodyInstalled()) {
      if (process.env.CI) throw new Error('prosody is not installed (see .ci/run)');
      this.skip();
    }
    ensureLocalCertificates(CERTS_DIR, [PEER]);
    const p = certPathsFor(CERTS_DIR, PEER);
    const [s2sPort, directPort] = [await freePort(), await freePort()];
    tern = await startServer({
      domain: TERN,
      config: { s2s: { domains: { [PEER]: { host: '127.0.0.1', port: directPort, direct_tls: true } }, ca_files: [caPaths(CERTS_DIR).cert] } },
    });
    prosody = await makeProsody({
      domain: PEER, cert: readFileSync(p.cert, 'utf8'), key: readFileSync(p.key, 'utf8'), secureAuth: true,
      caFile: caPaths(CERTS_DIR).cert, s2sPort, s2sDirectTlsPort: directPort, routes: { [TERN]: tern.s2sPort },
    });
    await prosody.register('bob', 'bob-pass-1');
    await prosody.start();
    await createUser(tern, 'alice', 'alice-pass');
    alice = await connect(tern, 'alice', 'alice-pass');
    bob = await connect({ domain: PEER, port: prosody.port } as TestServer, 'bob', 'bob-pass-1');
  });

  after(async () => {
    await alice?.stop();
    await bob?.stop();
    await prosody?.stop();
    await tern?.cleanup();
  });

  it('connects with TLS from the first byte and authenticates with SASL EXTERNAL', async () => {
    await alice.send(xml('message', { type: 'chat', to: bob.jid }, xml('body', {}, 'over direct tls')));
    assert.equal((await bob.inbox.next(is.chat('over direct tls'), 15_000, 'message at prosody')).attrs.from, alice.jid);
    // The server's log is read from its stdout: it may arrive after the message does.
    const connected = await waitFor(() => tern.logs.find((l) => l.msg === 's2s connected' && l.remote === PEER), 's2s connected log');
    assert.equal(connected.directTls, true);
    const out = await waitFor(() => tern.logs.find((l) => l.msg === 's2s stream authenticated' && l.direction === 'out' && l.remote === PEER), 'outgoing auth log');
    assert.equal(out.auth, 'sasl-external');
    assert.equal(out.secure, true);
  });
});
