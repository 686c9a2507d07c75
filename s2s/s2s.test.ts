/**
 * Federation security and failure paths over real sockets, byte by byte (no library would send
 * these): a stream authenticated by dialback for one domain sending a stanza from another
 * (invalid-from, RFC 6120 §4.9.3.9), dialback verification of keys we did and did not issue
 * (XEP-0220 §2.3), stanzas before authentication, per-domain deny policy, and bounces when a
 * remote server cannot be reached (remote-server-not-found) or does not answer in time
 * (remote-server-timeout), RFC 6120 §8.3.3.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { type Element, Parser } from '@xmpp/xml';
import { caPaths, certPathsFor, ensureLocalCertificates } from '../certs/index.js';
import { connect, createUser, errorCondition, Inbox, is, RawClient, type TestClient, xml } from '../test/harness/clients.js';
import { CERTS_DIR, startServer, type TestServer } from '../test/harness/server.js';
import { freePort } from './testing/prosody.js';

const TERN = 'tern.test';
const HEADER = (from: string, to = TERN) => `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='${from}' to='${to}' version='1.0'>`;

/** A byte-level remote server: accepts Tern's outgoing streams, offers dialback only, and answers as told. */
class FakePeer {
  readonly inbox = new Inbox();
  readonly keys: Array<{ id: string; key: string }> = [];
  private server!: net.Server;
  port = 0;
  private n = 0;
  /** What to answer Tern's <db:verify/> (Tern checking a key of ours) and <db:result/> (Tern authenticating). */
  constructor(readonly domain: string, private readonly answers: { verify: 'valid' | 'invalid'; result: 'valid' | 'invalid' | 'silent' }) {}

  async listen(): Promise<void> {
    this.server = net.createServer((socket) => {
      const id = `fake-${this.domain}-${this.n++}`;
      const parser = new Parser();
      parser.on('start', () => {
        socket.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='${this.domain}' to='${TERN}' id='${id}' version='1.0'><stream:features><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>`);
      });
      parser.on('element', (el: Element) => {
        if (el.name === 'db:result') {
          this.keys.push({ id, key: el.getText() });
          if (this.answers.result !== 'silent') socket.write(`<db:result from='${this.domain}' to='${TERN}' type='${this.answers.result}'/>`);
        } else if (el.name === 'db:verify') {
          socket.write(`<db:verify from='${this.domain}' to='${TERN}' id='${el.attrs.id}' type='${this.answers.verify}'/>`);
        } else {
          this.inbox.push(el);
        }
      });
      parser.on('error', () => {});
      socket.on('data', (d: Buffer) => { try { parser.write(d.toString()); } catch { /* ignored */ } });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => this.server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> { return new Promise((r) => this.server.close(() => r())); }
}

/** A byte-level s2s initiator that can present a client certificate after STARTTLS (XEP-0178). */
class TlsPeer {
  readonly inbox = new Inbox();
  text = '';
  private socket: net.Socket;
  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.attach();
  }

  static async connect(port: number): Promise<TlsPeer> {
    const s = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((r, j) => { s.once('connect', () => r()); s.once('error', j); });
    return new TlsPeer(s);
  }

  private attach(): void {
    const parser = new Parser();
    parser.on('element', (el: Element) => this.inbox.push(el));
    parser.on('error', () => {});
    this.socket.removeAllListeners('data');
    this.socket.on('data', (d: Buffer) => { this.text += d.toString(); try { parser.write(d.toString()); } catch { /* ignored */ } });
    this.socket.on('error', () => {});
  }

  write(s: string): void { this.socket.write(s); }
  closed(): Promise<void> { return new Promise((r) => (this.socket.destroyed ? r() : this.socket.once('close', () => r()))); }

  /** Header, STARTTLS with `cred` as client certificate, header again; resolves with the features after TLS. */
  async open(from: string, cred: { cert: string; key: string }): Promise<Element> {
    this.write(HEADER(from));
    await this.inbox.next((el) => el.name === 'stream:features', 5000, 'features');
    this.write(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    await this.inbox.next((el) => el.name === 'proceed', 5000, 'proceed');
    const secure = tls.connect({ socket: this.socket, servername: TERN, ...cred, ca: readFileSync(caPaths(CERTS_DIR).cert, 'utf8') });
    await new Promise<void>((r, j) => { secure.once('secureConnect', () => r()); secure.once('error', j); });
    this.socket = secure;
    this.attach();
    this.write(HEADER(from));
    return this.inbox.next((el) => el.name === 'stream:features', 5000, 'features after TLS');
  }

  restart(from: string): Promise<Element> {
    this.attach();
    this.write(HEADER(from));
    return this.inbox.next((el) => el.name === 'stream:features', 5000, 'features after SASL');
  }

  async streamError(): Promise<string> {
    for (let i = 0; i < 250; i++) {
      const m = /<stream:error>\s*<([a-z-]+)/.exec(this.text);
      if (m) return m[1]!;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no stream error in ${this.text}`);
  }
}

function credentials(dir: string, domain: string): { cert: string; key: string } {
  ensureLocalCertificates(dir, [domain]);
  const p = certPathsFor(dir, domain);
  return { cert: readFileSync(p.cert, 'utf8'), key: readFileSync(p.key, 'utf8') };
}

/** Opens an s2s stream to Tern as `from` and authenticates it with dialback; resolves with the client and the result. */
async function dialbackIn(server: TestServer, from: string, key = 'some-key'): Promise<{ raw: RawClient; result: Element }> {
  const raw = await RawClient.connect(server.s2sPort);
  raw.write(HEADER(from));
  await raw.inbox.next((el) => el.name === 'stream:features', 5000, 'features');
  raw.write(`<db:result from='${from}' to='${TERN}'>${key}</db:result>`);
  const result = await raw.inbox.next((el) => el.name === 'db:result', 10_000, 'dialback result');
  return { raw, result };
}

describe('s2s security and failures @e2e', function () {
  this.timeout(30_000);
  let tern: TestServer;
  let evil: FakePeer;
  let liar: FakePeer;
  let mute: FakePeer;
  let closedPort: number;
  let alice: TestClient;

  before(async () => {
    evil = new FakePeer('evil.test', { verify: 'valid', result: 'valid' });
    liar = new FakePeer('liar.test', { verify: 'invalid', result: 'invalid' });
    mute = new FakePeer('mute.test', { verify: 'valid', result: 'silent' });
    await Promise.all([evil.listen(), liar.listen(), mute.listen()]);
    closedPort = await freePort();
    tern = await startServer({
      domain: TERN,
      config: {
        s2s: {
          ca_files: [caPaths(CERTS_DIR).cert],
          connect_timeout_s: 2,
          max_bytes_per_s: 20_000,
          domains: {
            'evil.test': { host: '127.0.0.1', port: evil.port },
            'liar.test': { host: '127.0.0.1', port: liar.port },
            'mute.test': { host: '127.0.0.1', port: mute.port },
            'gone.test': { host: '127.0.0.1', port: closedPort },
            'banned.test': { policy: 'deny', host: '127.0.0.1', port: evil.port },
            'strict.test': { policy: 'require_valid_cert', host: '127.0.0.1', port: evil.port },
          },
        },
      },
    });
    await createUser(tern, 'alice', 'alice-pass');
    alice = await connect(tern, 'alice', 'alice-pass');
  });

  after(async () => {
    await alice?.stop();
    await tern?.cleanup();
    await Promise.all([evil?.close(), liar?.close(), mute?.close()]);
  });

  it('takes stanzas from the domain a stream authenticated with dialback, and closes it with invalid-from for any other', async () => {
    const { raw, result } = await dialbackIn(tern, 'evil.test');
    assert.equal(result.attrs.type, 'valid');
    assert.equal(result.attrs.from, TERN);
    assert.equal(result.attrs.to, 'evil.test');
    raw.write(`<message from='eve@evil.test/x' to='alice@${TERN}' type='chat'><body>legit</body></message>`);
    const m = await alice.inbox.next(is.chat('legit'), 5000, 'message from evil.test');
    assert.equal(m.attrs.from, 'eve@evil.test/x');
    raw.write(`<message from='boss@bank.test' to='alice@${TERN}' type='chat'><body>spoofed</body></message>`);
    assert.equal(await raw.streamError(), 'invalid-from');
    await raw.closed;
    await alice.inbox.none(is.chat('spoofed'));
  });

  it('answers invalid when the authoritative server denies the key, and then accepts no stanzas', async () => {
    const { raw, result } = await dialbackIn(tern, 'liar.test');
    assert.equal(result.attrs.type, 'invalid');
    raw.write(`<message from='x@liar.test' to='alice@${TERN}' type='chat'><body>no</body></message>`);
    assert.equal(await raw.streamError(), 'not-authorized');
    await alice.inbox.none(is.chat('no'));
  });

  it('verifies only dialback keys it issued (XEP-0220 §2.3)', async () => {
    // Tern authenticates to evil.test with a key for the stream id evil.test gave it.
    await alice.send(xml('message', { to: 'bob@evil.test', type: 'chat', id: 'out1' }, xml('body', {}, 'to evil')));
    const delivered = await evil.inbox.next((el) => el.name === 'message', 5000, 'message at evil.test');
    assert.equal(delivered.attrs.from, alice.jid);
    const issued = evil.keys.at(-1)!;
    assert.match(issued.key, /^[0-9a-f]{64}$/);

    const raw = await RawClient.connect(tern.s2sPort);
    raw.write(HEADER('evil.test'));
    await raw.inbox.next((el) => el.name === 'stream:features');
    const ask = (id: string, key: string, from = 'evil.test') => {
      raw.write(`<db:verify from='${from}' to='${TERN}' id='${id}'>${key}</db:verify>`);
      return raw.inbox.next((el) => el.name === 'db:verify' && el.attrs.id === id, 5000, `verify answer for ${id}`);
    };
    const good = await ask(issued.id, issued.key);
    assert.equal(good.attrs.type, 'valid');
    assert.equal(good.attrs.from, TERN);
    assert.equal(good.attrs.to, 'evil.test');
    const flipped = issued.key.slice(0, -1) + (issued.key.endsWith('0') ? '1' : '0');
    assert.equal((await ask(`${issued.id}`, flipped)).attrs.type, 'invalid');
    assert.equal((await ask('never-issued', 'deadbeef')).attrs.type, 'invalid');
    // The same key for another receiving domain or stream is not one we issued.
    assert.equal((await ask(issued.id, issued.key, 'other.test')).attrs.type, 'invalid');
    raw.end();
  });

  it('reuses one outgoing stream per domain pair', async () => {
    const before = evil.keys.length;
    await alice.send(xml('message', { to: 'bob@evil.test', type: 'chat' }, xml('body', {}, 'again')));
    await evil.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'again', 5000, 'second message');
    assert.equal(evil.keys.length, before);
  });

  it('refuses stanzas on a stream that is not authenticated', async () => {
    const raw = await RawClient.connect(tern.s2sPort);
    raw.write(HEADER('evil.test'));
    await raw.inbox.next((el) => el.name === 'stream:features');
    raw.write(`<message from='eve@evil.test' to='alice@${TERN}'><body>early</body></message>`);
    assert.equal(await raw.streamError(), 'not-authorized');
  });

  it('closes a stream to a domain it does not serve with host-unknown', async () => {
    const raw = await RawClient.connect(tern.s2sPort);
    raw.write(HEADER('evil.test', 'elsewhere.test'));
    assert.equal(await raw.streamError(), 'host-unknown');
  });

  it('bounces remote-server-not-found when the remote server cannot be reached', async () => {
    await alice.send(xml('message', { to: 'bob@gone.test', type: 'chat', id: 'g1' }, xml('body', {}, 'hello?')));
    await alice.send(xml('iq', { to: 'gone.test', type: 'get', id: 'g2' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const e1 = await alice.inbox.next((el) => el.attrs.id === 'g1' && el.attrs.type === 'error', 10_000, 'message bounce');
    assert.equal(e1.attrs.from, 'bob@gone.test');
    assert.equal(errorCondition(e1), 'remote-server-not-found');
    const e2 = await alice.inbox.next((el) => el.attrs.id === 'g2' && el.attrs.type === 'error', 10_000, 'iq bounce');
    assert.equal(errorCondition(e2), 'remote-server-not-found');
  });

  it('bounces remote-server-timeout when the remote server does not complete authentication in time', async () => {
    await alice.send(xml('message', { to: 'bob@mute.test', type: 'chat', id: 't1' }, xml('body', {}, 'anyone?')));
    const e = await alice.inbox.next((el) => el.attrs.id === 't1' && el.attrs.type === 'error', 10_000, 'timeout bounce');
    assert.equal(errorCondition(e), 'remote-server-timeout');
  });

  it('bounces when the remote server refuses our dialback key', async () => {
    await alice.send(xml('message', { to: 'bob@liar.test', type: 'chat', id: 'l1' }, xml('body', {}, 'hi')));
    const e = await alice.inbox.next((el) => el.attrs.id === 'l1' && el.attrs.type === 'error', 10_000, 'bounce');
    assert.equal(errorCondition(e), 'remote-server-not-found');
  });

  it('applies per-domain policy: deny, and require_valid_cert without a certificate', async () => {
    await alice.send(xml('message', { to: 'bob@banned.test', type: 'chat', id: 'b1' }, xml('body', {}, 'hi')));
    assert.equal(errorCondition(await alice.inbox.next((el) => el.attrs.id === 'b1' && el.attrs.type === 'error', 10_000, 'deny bounce')), 'remote-server-not-found');
    const raw = await RawClient.connect(tern.s2sPort);
    raw.write(HEADER('banned.test'));
    assert.equal(await raw.streamError(), 'policy-violation');
    // strict.test offers no TLS, so no certificate: dialback is not allowed for it.
    await alice.send(xml('message', { to: 'bob@strict.test', type: 'chat', id: 's1' }, xml('body', {}, 'hi')));
    assert.equal(errorCondition(await alice.inbox.next((el) => el.attrs.id === 's1' && el.attrs.type === 'error', 10_000, 'strict bounce')), 'remote-server-not-found');
    const { result } = await dialbackIn(tern, 'strict.test');
    assert.equal(result.attrs.type, 'error');
    assert.ok(result.getChild('error')?.getChild('not-acceptable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
  });

  it('authenticates a peer by its certificate with SASL EXTERNAL, and still checks every from (XEP-0178 §3)', async () => {
    const peer = await TlsPeer.connect(tern.s2sPort);
    const features = await peer.open('certified.test', credentials(CERTS_DIR, 'certified.test'));
    const mechs = features.getChild('mechanisms', 'urn:ietf:params:xml:ns:xmpp-sasl')?.getChildren('mechanism').map((m) => m.getText());
    assert.deepEqual(mechs, ['EXTERNAL']);
    peer.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>`);
    await peer.inbox.next((el) => el.name === 'success', 5000, 'SASL success');
    await peer.restart('certified.test');
    peer.write(`<message from='cert@certified.test/r' to='alice@${TERN}' type='chat'><body>with a certificate</body></message>`);
    assert.equal((await alice.inbox.next(is.chat('with a certificate'), 5000, 'message')).attrs.from, 'cert@certified.test/r');
    peer.write(`<message from='x@evil.test' to='alice@${TERN}' type='chat'><body>spoof via cert</body></message>`);
    assert.equal(await peer.streamError(), 'invalid-from');
    await alice.inbox.none(is.chat('spoof via cert'));
  });

  it('refuses SASL EXTERNAL for another authorization identity, and does not offer it for an unknown CA', async () => {
    const peer = await TlsPeer.connect(tern.s2sPort);
    await peer.open('certified.test', credentials(CERTS_DIR, 'certified.test'));
    peer.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>${Buffer.from('bank.test').toString('base64')}</auth>`);
    const failure = await peer.inbox.next((el) => el.name === 'failure', 5000, 'SASL failure');
    assert.ok(failure.getChild('invalid-authzid'), failure.toString());
    await peer.closed();

    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const other = mkdtempSync(`${tmpdir()}/tern-other-ca-`);
    try {
      const stranger = await TlsPeer.connect(tern.s2sPort);
      const features = await stranger.open('certified.test', credentials(other, 'certified.test'));
      assert.equal(features.getChild('mechanisms', 'urn:ietf:params:xml:ns:xmpp-sasl'), undefined);
      assert.ok(features.getChild('dialback', 'urn:xmpp:features:dialback'), 'dialback remains');
      stranger.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>`);
      assert.ok((await stranger.inbox.next((el) => el.name === 'failure', 5000, 'failure')).getChild('not-authorized'));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('slows down a peer that sends faster than max_bytes_per_s, losing nothing', async () => {
    const { raw, result } = await dialbackIn(tern, 'evil.test');
    assert.equal(result.attrs.type, 'valid');
    const filler = 'x'.repeat(1000);
    const n = 60; // ~65 kB at 20 kB/s with a 20 kB burst: at least two seconds
    const started = Date.now();
    raw.write(Array.from({ length: n }, (_, i) => `<message from='eve@evil.test/x' to='alice@${TERN}' type='chat' id='f${i}'><body>flood ${i} ${filler}</body></message>`).join(''));
    for (let i = 0; i < n; i++) await alice.inbox.next((el) => el.attrs.id === `f${i}`, 10_000, `flood ${i}`);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1800, `took ${elapsed} ms`);
    raw.end();
  });

  it('logs s2s connection state with domain, direction and method', async () => {
    const auth = tern.logs.filter((l) => l.msg === 's2s stream authenticated');
    assert.ok(auth.some((l) => l.direction === 'out' && l.remote === 'evil.test' && l.local === TERN && l.auth === 'dialback' && l.level === 30));
    assert.ok(auth.some((l) => l.direction === 'in' && l.remote === 'evil.test' && l.local === TERN && l.auth === 'dialback'));
  });
});
