/**
 * RFC 6120 streams end to end: TLS, SASL, binding, and every error path with its exact condition,
 * each followed by a check that the server keeps serving other sessions.
 */
import assert from 'node:assert/strict';
import { connect, createUser, errorCondition, RawClient, type TestClient, xml } from '../harness/clients.js';
import { startServer, type TestServer } from '../harness/server.js';

describe('c2s streams (RFC 6120) @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  let witness: TestClient;

  before(async () => {
    server = await startServer();
    await createUser(server, 'alice', 'alice-pass');
    await createUser(server, 'bob', 'bob-pass');
    await createUser(server, 'witness', 'witness-pass');
    witness = await connect(server, 'witness', 'witness-pass', { resource: 'w' });
  });
  after(async () => {
    await witness?.stop();
    await server?.cleanup();
  });

  /** The server still answers another, healthy session. */
  async function stillServing(): Promise<void> {
    const r = await witness.iq(xml('iq', { type: 'get', to: server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(r.attrs.type, 'result');
  }

  it('logs in with SCRAM over STARTTLS and over direct TLS', async () => {
    const a = await connect(server, 'alice', 'alice-pass', { resource: 'starttls' });
    const b = await connect(server, 'alice', 'alice-pass', { resource: 'direct', directTls: true });
    assert.equal(a.jid, 'alice@localhost/starttls');
    assert.equal(b.jid, 'alice@localhost/direct');
    const sock = (a.xmpp as unknown as { socket: { socket: { encrypted?: boolean; getProtocol?: () => string } } }).socket.socket;
    assert.ok(sock.encrypted, 'the STARTTLS session is encrypted');
    await a.stop();
    await b.stop();
  });

  it('offers only STARTTLS before TLS, then SCRAM and PLAIN with channel binding types', async () => {
    const r = await RawClient.connect(server.port);
    const before = await r.openStream();
    assert.ok(before.getChild('starttls', 'urn:ietf:params:xml:ns:xmpp-tls')?.getChild('required'));
    assert.equal(before.getChild('mechanisms'), undefined, 'no SASL before TLS');
    const after = await r.startTls();
    const mechs = after.getChild('mechanisms')!.getChildren('mechanism').map((m) => m.text());
    assert.ok(mechs.includes('SCRAM-SHA-256') && mechs.includes('SCRAM-SHA-1') && mechs.includes('PLAIN'));
    assert.ok(mechs.includes('SCRAM-SHA-256-PLUS'), 'channel binding is offered over TLS');
    const cb = after.getChild('sasl-channel-binding', 'urn:xmpp:sasl-cb:0')!.getChildren('channel-binding').map((c) => c.attrs.type);
    assert.ok(cb.includes('tls-server-end-point'));
    r.end();
  });

  it('refuses SASL before STARTTLS with encryption-required', async () => {
    const r = await RawClient.connect(server.port);
    await r.openStream();
    r.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\0alice\0alice-pass').toString('base64')}</auth>`);
    const f = await r.inbox.next((el) => el.name === 'failure');
    assert.ok(f.getChild('encryption-required'));
    r.end();
  });

  it('rejects a wrong password with not-authorized, without saying whether the account exists', async () => {
    for (const [user, pass] of [['alice', 'wrong'], ['nobody', 'whatever']]) {
      const r = await RawClient.connect(server.port);
      await r.openStream();
      await r.startTls();
      const f = await r.authPlain(user!, pass!);
      assert.equal(f.name, 'failure');
      assert.ok(f.getChild('not-authorized'), f.toString());
      r.end();
    }
    await assert.rejects(connect(server, 'alice', 'wrong'), /not-authorized/);
    await stillServing();
  });

  it('closes the stream with invalid-from when a client spoofs from', async () => {
    const r = await RawClient.connect(server.port);
    await r.login('bob', 'bob-pass', 'spoof');
    r.write(`<message from='alice@localhost/x' to='witness@localhost' type='chat'><body>forged</body></message>`);
    assert.equal(await r.streamError(), 'invalid-from');
    await r.closed;
    await witness.inbox.none((el) => el.name === 'message', 300);
    await stillServing();
  });

  it('accepts from equal to the full or bare JID and stamps the full JID', async () => {
    const r = await RawClient.connect(server.port);
    const jid = await r.login('bob', 'bob-pass', 'honest');
    r.write(`<message from='bob@localhost' to='witness@localhost/w' type='chat'><body>hello</body></message>`);
    const m = await witness.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'hello');
    assert.equal(m.attrs.from, jid);
    r.end();
  });

  it('closes the stream with policy-violation on an oversized stanza', async () => {
    const r = await RawClient.connect(server.port);
    await r.login('bob', 'bob-pass', 'big');
    r.write(`<message to='witness@localhost/w' type='chat'><body>${'x'.repeat(300 * 1024)}</body></message>`);
    assert.equal(await r.streamError(), 'policy-violation');
    await witness.inbox.none((el) => el.name === 'message', 300);
    await stillServing();
  });

  it('closes the stream with not-well-formed on malformed XML', async () => {
    const r = await RawClient.connect(server.port);
    await r.login('bob', 'bob-pass', 'bad');
    r.write(`<message to='witness@localhost/w'><body>oops</message>`);
    assert.equal(await r.streamError(), 'not-well-formed');
    await stillServing();
  });

  it('closes the stream with restricted-xml on DTDs and entity injection', async () => {
    for (const payload of [
      `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><message to='witness@localhost/w'><body>&xxe;</body></message>`,
      `<message to='witness@localhost/w'><body>&xxe;</body></message>`,
      `<message to='witness@localhost/w'><!-- hidden --><body>x</body></message>`,
    ]) {
      const r = await RawClient.connect(server.port);
      await r.login('bob', 'bob-pass', 'dtd');
      r.write(payload);
      assert.equal(await r.streamError(), 'restricted-xml', payload);
    }
    await witness.inbox.none((el) => el.name === 'message', 200);
    await stillServing();
  });

  it('rejects invalid UTF-8 with not-well-formed', async () => {
    const r = await RawClient.connect(server.tlsPort, { directTls: true });
    await r.openStream();
    r.write(Buffer.from([0x3c, 0x61, 0xff, 0xfe, 0x3e]));
    assert.equal(await r.streamError(), 'not-well-formed');
  });

  it('answers an IQ in an unknown namespace with service-unavailable', async () => {
    const reply = await witness.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: 'urn:example:unknown' })));
    assert.equal(reply.attrs.type, 'error');
    assert.equal(errorCondition(reply), 'service-unavailable');
    const self = await witness.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'urn:example:unknown' })));
    assert.equal(errorCondition(self), 'service-unavailable');
  });

  it('answers a malformed JID with jid-malformed and an IQ without a payload with bad-request', async () => {
    const r1 = await witness.iq(xml('iq', { type: 'get', to: 'a@b@c' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(errorCondition(r1), 'jid-malformed');
    const r2 = await witness.iq(xml('iq', { type: 'get', to: server.domain }));
    assert.equal(errorCondition(r2), 'bad-request');
  });

  it('replaces a session that binds the same resource, with a conflict stream error', async () => {
    const first = await RawClient.connect(server.port);
    await first.login('alice', 'alice-pass', 'phone');
    const second = await RawClient.connect(server.port);
    await second.login('alice', 'alice-pass', 'phone');
    assert.equal(await first.streamError(), 'conflict');
    second.write(`<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const pong = await second.inbox.next((el) => el.attrs.id === 'p1');
    assert.equal(pong.attrs.type, 'result');
    second.end();
  });

  it('answers unknown hosts with host-unknown and stanzas before auth with not-authorized', async () => {
    const r = await RawClient.connect(server.port);
    r.write(`<stream:stream to='elsewhere.example' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
    assert.equal(await r.streamError(), 'host-unknown');
    const r2 = await RawClient.connect(server.port);
    await r2.openStream();
    r2.write(`<message to='witness@localhost/w'><body>sneaky</body></message>`);
    assert.equal(await r2.streamError(), 'not-authorized');
    await witness.inbox.none((el) => el.name === 'message', 200);
  });

  it('accepts the legacy session IQ as a no-op', async () => {
    const r = await RawClient.connect(server.port);
    await r.login('bob', 'bob-pass', 'legacy');
    r.write(`<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`);
    const res = await r.inbox.next((el) => el.attrs.id === 's1');
    assert.equal(res.attrs.type, 'result');
    r.end();
  });

  it('throttles an address after repeated failures', async () => {
    const throttled = await startServer({ config: { limits: { auth_failures: { per_account: 3, per_ip: 50, window_s: 60 } } } });
    try {
      await createUser(throttled, 'carol', 'carol-pass');
      const conditions: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await RawClient.connect(throttled.port);
        await r.openStream();
        await r.startTls();
        const f = await r.authPlain('carol', i < 3 ? 'bad' : 'carol-pass');
        conditions.push(f.name === 'success' ? 'success' : f.children.map((c) => (typeof c === 'string' ? '' : c.name)).join(''));
        r.end();
      }
      assert.deepEqual(conditions.slice(0, 3), ['not-authorized', 'not-authorized', 'not-authorized']);
      assert.match(conditions[3]!, /temporary-auth-failure/, 'even the right password is refused while throttled');
    } finally {
      await throttled.cleanup();
    }
  });

  it('shuts down gracefully on SIGTERM with system-shutdown and exit code 0', async () => {
    const s = await startServer();
    try {
      await createUser(s, 'dave', 'dave-pass');
      const r = await RawClient.connect(s.port);
      await r.login('dave', 'dave-pass');
      const code = await s.stop();
      assert.equal(await r.streamError(), 'system-shutdown');
      assert.equal(code, 0);
    } finally {
      await s.cleanup();
    }
  });
});
