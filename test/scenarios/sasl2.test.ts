/**
 * SASL2 (XEP-0388), Bind 2 (XEP-0386), inline stream management (XEP-0198) and FAST tokens
 * (XEP-0484 with the HT-SHA-256 mechanisms) over real sockets: @xmpp/client end to end (it speaks
 * all of them itself), and a byte-level client for the exact elements and the error paths.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { client } from '@xmpp/client';
import { connect, createUser, type Element, is, RawClient, type TestClient, xml } from '../harness/clients.js';
import { startServer, type TestServer } from '../harness/server.js';

const SASL2 = 'urn:xmpp:sasl:2';
const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const BIND2 = 'urn:xmpp:bind:0';
const FAST = 'urn:xmpp:fast:0';
const SM = 'urn:xmpp:sm:3';
const CARBONS = 'urn:xmpp:carbons:2';
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** draft-schmaus-kitten-sasl-ht-08 §3, computed here independently of the server's code. */
const ht = (token: string, label: string, cb: Buffer = Buffer.alloc(0)) => createHmac('sha256', Buffer.from(token, 'utf8')).update(label).update(cb).digest();
const plainResponse = (user: string, pass: string) => b64(`\0${user}\0${pass}`);
const htResponse = (user: string, token: string, cb?: Buffer) => b64(Buffer.concat([Buffer.from(`${user}\0`), ht(token, 'Initiator', cb)]));

/** The first SASL2 outcome (<success/> or <failure/>). */
const outcome = (c: RawClient) => c.inbox.next((el) => el.attrs.xmlns === SASL2 && (el.name === 'success' || el.name === 'failure'), 5000, 'SASL2 outcome');
const condition = (failure: Element) => failure.getChildElements().find((e) => e.attrs.xmlns === SASL)?.name;

async function tlsStream(server: TestServer): Promise<{ c: RawClient; features: Element }> {
  const c = await RawClient.connect(server.port);
  await c.openStream(server.domain);
  const features = await c.startTls(server.domain);
  return { c, features };
}

function authenticate(c: RawClient, mechanism: string, initial: string | undefined, inner = ''): void {
  const ir = initial === undefined ? '' : `<initial-response>${initial}</initial-response>`;
  c.write(`<authenticate xmlns='${SASL2}' mechanism='${mechanism}'>${ir}${inner}</authenticate>`);
}

const ua = (id: string) => `<user-agent id='${id}'><software>tern-test</software></user-agent>`;

/** PLAIN over SASL2 asking for a FAST token; resolves with the token element. */
async function tokenFor(server: TestServer, user: string, pass: string, client: string, mechanism = 'HT-SHA-256-NONE'): Promise<string> {
  const { c } = await tlsStream(server);
  try {
    authenticate(c, 'PLAIN', plainResponse(user, pass), `${ua(client)}<request-token xmlns='${FAST}' mechanism='${mechanism}'/>`);
    const s = await outcome(c);
    assert.equal(s.name, 'success', s.toString());
    const t = s.getChild('token', FAST);
    assert.ok(t, 'a <token/> in the success');
    assert.ok(Date.parse(t.attrs.expiry) > Date.now(), 'expiry in the future');
    return t.attrs.token as string;
  } finally {
    c.end();
  }
}

/** A FAST authentication on a new stream; resolves with the outcome (the stream stays open). */
async function fastAuth(server: TestServer, user: string, token: string, client: string, opts: { mechanism?: string; fast?: string; inner?: string } = {}): Promise<{ c: RawClient; r: Element }> {
  const { c } = await tlsStream(server);
  const mechanism = opts.mechanism ?? 'HT-SHA-256-NONE';
  const cb = mechanism === 'HT-SHA-256-EXPR' ? c.channelBinding('tls-exporter') : mechanism === 'HT-SHA-256-ENDP' ? c.channelBinding('tls-server-end-point') : undefined;
  authenticate(c, mechanism, htResponse(user, token, cb), `${ua(client)}${opts.fast ?? `<fast xmlns='${FAST}'/>`}${opts.inner ?? ''}`);
  return { c, r: await outcome(c) };
}

async function fastWorks(server: TestServer, user: string, token: string, client: string): Promise<boolean> {
  const { c, r } = await fastAuth(server, user, token, client);
  c.end();
  if (r.name === 'failure') assert.equal(condition(r), 'not-authorized');
  return r.name === 'success';
}

describe('SASL2, Bind 2 and FAST (XEP-0388, XEP-0386, XEP-0484) @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  const raws: RawClient[] = [];
  const clients: TestClient[] = [];
  const track = <T extends RawClient>(c: T): T => { raws.push(c); return c; };

  before(async () => {
    // Every test connects from 127.0.0.1: the per-address failure limit is raised so the per-account one shows.
    server = await startServer({ config: { stream_management: { resume_timeout_s: 10 }, limits: { auth_failures: { per_account: 5, per_ip: 1000 } } } });
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'hugo']) await createUser(server, u, `${u}-pass`);
  });
  afterEach(async () => {
    for (const c of raws.splice(0)) c.destroy();
    for (const c of clients.splice(0)) await c.stop();
  });
  after(async () => { await server?.cleanup(); });

  describe('the feature and the classic profile', () => {
    it('offers <authentication/> with Bind 2, SM and FAST inline next to the RFC 6120 <mechanisms/> (§2.1)', async () => {
      const { c, features } = await tlsStream(server);
      track(c);
      assert.ok(features.getChild('mechanisms', SASL), 'classic SASL still offered');
      const auth = features.getChild('authentication', SASL2)!;
      assert.ok(auth, 'SASL2 offered');
      const mechs = auth.getChildren('mechanism').map((m) => m.getText());
      assert.ok(mechs.includes('SCRAM-SHA-256') && mechs.includes('SCRAM-SHA-1') && mechs.includes('SCRAM-SHA-256-PLUS'), mechs.join());
      const inline = auth.getChild('inline')!;
      const vars = inline.getChild('bind', BIND2)!.getChild('inline')!.getChildren('feature').map((f) => f.attrs.var);
      assert.ok(vars.includes(CARBONS) && vars.includes(SM), vars.join());
      assert.ok(inline.getChild('sm', SM), 'inline resumption');
      const fast = inline.getChild('fast', FAST)!.getChildren('mechanism').map((m) => m.getText());
      assert.deepEqual(fast, ['HT-SHA-256-EXPR', 'HT-SHA-256-ENDP', 'HT-SHA-256-NONE'], 'TLS 1.3 with a certificate: both bindings');
    });

    it('refuses SASL2 before TLS with encryption-required (RFC 6120 §6.4.2)', async () => {
      const c = track(await RawClient.connect(server.port));
      const features = await c.openStream(server.domain);
      assert.equal(features.getChild('authentication', SASL2), undefined, 'not offered before TLS');
      authenticate(c, 'PLAIN', plainResponse('alice', 'alice-pass'));
      const r = await outcome(c);
      assert.equal(r.name, 'failure');
      assert.equal(condition(r), 'encryption-required');
    });

    it('still authenticates an RFC 6120 client: <auth/>, restart, <bind/>', async () => {
      const c = track(await RawClient.connect(server.port));
      assert.equal(await c.login('alice', 'alice-pass', 'classic'), 'alice@localhost/classic');
    });
  });

  describe('SASL2 framing', () => {
    it('PLAIN with a wrong password: <failure><not-authorized/></failure>, and the stream can try again', async () => {
      const { c } = await tlsStream(server);
      track(c);
      authenticate(c, 'PLAIN', plainResponse('alice', 'wrong-pass'));
      const r = await outcome(c);
      assert.equal(r.name, 'failure');
      assert.equal(condition(r), 'not-authorized');
      authenticate(c, 'PLAIN', plainResponse('alice', 'alice-pass'));
      const s = await outcome(c);
      assert.equal(s.name, 'success');
      assert.equal(s.getChildText('authorization-identifier'), 'alice@localhost', 'bare JID without a bind');
      const f = await c.inbox.next((el) => el.name === 'stream:features', 5000, 'features after success');
      assert.ok(f.getChild('bind', 'urn:ietf:params:xml:ns:xmpp-bind'), 'no restart: RFC 6120 binding offered on the same stream');
      c.write(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>late</resource></bind></iq>`);
      const b = await c.inbox.next(is.iq('b'));
      assert.equal(b.getChild('bind')!.getChildText('jid'), 'alice@localhost/late');
    });

    it('an unknown mechanism: invalid-mechanism', async () => {
      const { c } = await tlsStream(server);
      track(c);
      authenticate(c, 'X-UNKNOWN', b64('x'));
      const r = await outcome(c);
      assert.equal(condition(r), 'invalid-mechanism');
    });

    it('SCRAM-SHA-256 through <challenge/> and <response/>, with the server signature in <additional-data/>', async () => {
      // A real client's SCRAM code, over the byte-level SASL2 framing.
      const { c } = await tlsStream(server);
      track(c);
      const nonce = 'fyko+d2lbbFgONRv9qkxdawL';
      const first = `n=bob,r=${nonce}`;
      authenticate(c, 'SCRAM-SHA-256', b64(`n,,${first}`));
      const ch = await c.inbox.next((el) => el.name === 'challenge' && el.attrs.xmlns === SASL2, 5000, 'challenge');
      const serverFirst = Buffer.from(ch.getText(), 'base64').toString();
      const attrs = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
      const { pbkdf2Sync, createHash } = await import('node:crypto');
      const salted = pbkdf2Sync('bob-pass', Buffer.from(attrs.s!, 'base64'), Number(attrs.i), 32, 'sha256');
      const clientKey = createHmac('sha256', salted).update('Client Key').digest();
      const stored = createHash('sha256').update(clientKey).digest();
      const without = `c=biws,r=${attrs.r}`;
      const authMessage = `${first},${serverFirst},${without}`;
      const sig = createHmac('sha256', stored).update(authMessage).digest();
      const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!));
      c.write(`<response xmlns='${SASL2}'>${b64(`${without},p=${proof.toString('base64')}`)}</response>`);
      const s = await outcome(c);
      assert.equal(s.name, 'success', s.toString());
      const serverKey = createHmac('sha256', salted).update('Server Key').digest();
      const v = createHmac('sha256', serverKey).update(authMessage).digest().toString('base64');
      assert.equal(Buffer.from(s.getChildText('additional-data')!, 'base64').toString(), `v=${v}`);
    });

    it('<abort/> ends the exchange with aborted; other traffic during it is a stream error (§2.5)', async () => {
      const { c } = await tlsStream(server);
      track(c);
      authenticate(c, 'SCRAM-SHA-1', b64('n,,n=alice,r=abcdefgh'));
      await c.inbox.next((el) => el.name === 'challenge', 5000, 'challenge');
      c.write(`<abort xmlns='${SASL2}'/>`);
      assert.equal(condition(await outcome(c)), 'aborted');
      authenticate(c, 'SCRAM-SHA-1', b64('n,,n=alice,r=abcdefgh'));
      await c.inbox.next((el) => el.name === 'challenge', 5000, 'challenge');
      c.write(`<iq type='get' id='x'><ping xmlns='urn:xmpp:ping'/></iq>`);
      assert.equal(await c.streamError(), 'policy-violation');
    });
  });

  describe('Bind 2', () => {
    it('binds with the tag, enables SM and carbons inline, in one round trip', async () => {
      const bob = await connect(server, 'bob', 'bob-pass', { resource: 'desk' });
      clients.push(bob);
      const { c } = await tlsStream(server);
      track(c);
      authenticate(c, 'PLAIN', plainResponse('carol', 'carol-pass'),
        `${ua(randomUUID())}<bind xmlns='${BIND2}'><tag>Phone</tag><enable xmlns='${SM}' resume='true'/><enable xmlns='${CARBONS}'/></bind>`);
      const s = await outcome(c);
      assert.equal(s.name, 'success');
      assert.equal(s.getChildText('authorization-identifier'), 'carol@localhost/Phone', 'full JID after binding (§2.6.1)');
      const enabled = s.getChild('bound', BIND2)!.getChild('enabled', SM)!;
      assert.equal(enabled.attrs.resume, 'true');
      assert.ok(enabled.attrs.id);
      const f = await c.inbox.next((el) => el.name === 'stream:features', 5000, 'features after success');
      assert.equal(f.getChild('bind', 'urn:ietf:params:xml:ns:xmpp-bind'), undefined, 'no second binding offered');
      assert.equal(f.getChild('sm', SM), undefined, 'SM already on');
      // Carbons are on: a message to another resource of carol comes back as a received copy.
      const other = await connect(server, 'carol', 'carol-pass', { resource: 'laptop' });
      clients.push(other);
      await bob.send(xml('message', { to: 'carol@localhost/laptop', type: 'chat' }, xml('body', {}, 'for the laptop')));
      const copy = await c.inbox.next((el) => el.name === 'message' && el.getChild('received', CARBONS) !== undefined, 5000, 'a carbon copy');
      assert.equal(copy.getChild('received')!.getChild('forwarded')!.getChild('message')!.getChildText('body'), 'for the laptop');
      // SM counts from the <enabled/>: the copy was stanza 1.
      c.write(`<r xmlns='${SM}'/>`);
      c.write(`<a xmlns='${SM}' h='1'/>`);
      const a = await c.inbox.next((el) => el.name === 'a' && el.attrs.xmlns === SM, 5000, '<a/>');
      assert.equal(a.attrs.h, '0');
    });

    it('starts the session inactive with an inline CSI <inactive/> (XEP-0352 via XEP-0386 §3.2)', async () => {
      const bob = await connect(server, 'bob', 'bob-pass', { resource: 'csi' });
      clients.push(bob);
      const { c, features } = await tlsStream(server);
      track(c);
      const vars = features.getChild('authentication', SASL2)!.getChild('inline')!.getChild('bind', BIND2)!.getChild('inline')!.getChildren('feature').map((f) => f.attrs.var);
      assert.ok(vars.includes('urn:xmpp:csi:0'), vars.join());
      authenticate(c, 'PLAIN', plainResponse('dave', 'dave-pass'), `<bind xmlns='${BIND2}'><tag>idle</tag><inactive xmlns='urn:xmpp:csi:0'/></bind>`);
      assert.equal((await outcome(c)).name, 'success');
      const state = (s: string) => xml('message', { to: 'dave@localhost/idle', type: 'chat' }, xml(s, { xmlns: 'http://jabber.org/protocol/chatstates' }));
      await bob.send(state('composing'));
      await c.inbox.none((el) => el.name === 'message', 300);
      c.write(`<active xmlns='urn:xmpp:csi:0'/>`);
      const held = await c.inbox.next((el) => el.name === 'message', 5000, 'the held chat state');
      assert.ok(held.getChild('composing'), 'released on <active/>');
    });

    it('drops a tag that cannot be a resource and binds a generated one', async () => {
      const { c } = await tlsStream(server);
      track(c);
      authenticate(c, 'PLAIN', plainResponse('dave', 'dave-pass'), `<bind xmlns='${BIND2}'><tag>bad&#xAD;tag</tag></bind>`);
      const s = await outcome(c);
      assert.equal(s.name, 'success');
      const jid = s.getChildText('authorization-identifier')!;
      assert.match(jid, /^dave@localhost\/[A-Za-z0-9_-]{12}$/, jid);
    });

    it('two clients with the same tag both stay online; the same client again replaces its old session', async () => {
      const id1 = randomUUID();
      const bindAs = async (id: string | undefined) => {
        const { c } = await tlsStream(server);
        track(c);
        authenticate(c, 'PLAIN', plainResponse('erin', 'erin-pass'), `${id ? ua(id) : ''}<bind xmlns='${BIND2}'><tag>App</tag></bind>`);
        const s = await outcome(c);
        return { c, jid: s.getChildText('authorization-identifier')! };
      };
      const first = await bindAs(id1);
      assert.equal(first.jid, 'erin@localhost/App');
      const second = await bindAs(randomUUID());
      assert.match(second.jid, /^erin@localhost\/App\/[A-Za-z0-9_-]{12}$/, 'another client: tag/id (§3.2.1)');
      const again = await bindAs(id1);
      assert.equal(again.jid, 'erin@localhost/App', 'the same client gets its resource back');
      assert.equal(await first.c.streamError(), 'conflict', 'its earlier session ends');
      assert.doesNotMatch(second.c.text, /stream:error/, "another client's session stays");
    });
    it('a hibernated session of another client gives its resource up, as RFC 6120 binding does', async () => {
      const { c } = await tlsStream(server);
      authenticate(c, 'PLAIN', plainResponse('erin', 'erin-pass'), `${ua(randomUUID())}<bind xmlns='${BIND2}'><tag>Tablet</tag><enable xmlns='${SM}' resume='true'/></bind>`);
      assert.equal((await outcome(c)).getChildText('authorization-identifier'), 'erin@localhost/Tablet');
      c.destroy();
      await sleep(200);
      const { c: c2 } = await tlsStream(server);
      track(c2);
      authenticate(c2, 'PLAIN', plainResponse('erin', 'erin-pass'), `${ua(randomUUID())}<bind xmlns='${BIND2}'><tag>Tablet</tag></bind>`);
      assert.equal((await outcome(c2)).getChildText('authorization-identifier'), 'erin@localhost/Tablet');
    });
  });

  describe('inline resumption (XEP-0198 in SASL2)', () => {
    it('resumes a dropped session inside <authenticate/>: <resumed/> in <success/>, missed messages re-sent', async () => {
      const bob = await connect(server, 'bob', 'bob-pass', { resource: 'sender' });
      clients.push(bob);
      const { c } = await tlsStream(server);
      authenticate(c, 'PLAIN', plainResponse('frank', 'frank-pass'), `<bind xmlns='${BIND2}'><tag>mobile</tag><enable xmlns='${SM}' resume='true'/></bind>`);
      const s = await outcome(c);
      const previd = s.getChild('bound')!.getChild('enabled')!.attrs.id as string;
      c.write(`<presence/>`);
      await bob.send(xml('message', { to: 'frank@localhost/mobile', type: 'chat' }, xml('body', {}, 'one')));
      await c.inbox.next(is.chat('one'));
      c.destroy(); // the phone loses its connection without a word
      await sleep(200);
      await bob.send(xml('message', { to: 'frank@localhost/mobile', type: 'chat' }, xml('body', {}, 'two')));
      const { c: c2 } = await tlsStream(server);
      track(c2);
      authenticate(c2, 'PLAIN', plainResponse('frank', 'frank-pass'), `<resume xmlns='${SM}' previd='${previd}' h='0'/><bind xmlns='${BIND2}'><tag>mobile</tag></bind>`);
      const r = await outcome(c2);
      assert.equal(r.name, 'success', r.toString());
      assert.equal(r.getChildText('authorization-identifier'), 'frank@localhost/mobile');
      assert.ok(r.getChild('resumed', SM), '<resumed/> inline');
      assert.equal(r.getChild('resumed', SM)!.attrs.previd, previd);
      assert.equal(r.getChild('bound', BIND2), undefined, 'the bind is skipped when the resumption works (XEP-0386 §3.2)');
      await c2.inbox.next((el) => el.name === 'stream:features', 5000, 'features');
      const bodies: string[] = [];
      for (let i = 0; i < 2; i++) bodies.push((await c2.inbox.next(is.chat())).getChildText('body')!);
      assert.deepEqual(bodies, ['one', 'two'], 'h=0: both unacknowledged messages again, in order');
    });

    it('a failed inline resumption reports <failed/> and binds a new session', async () => {
      const { c } = await tlsStream(server);
      track(c);
      authenticate(c, 'PLAIN', plainResponse('frank', 'frank-pass'), `<resume xmlns='${SM}' previd='nonexistent' h='0'/><bind xmlns='${BIND2}'><tag>fresh</tag><enable xmlns='${SM}'/></bind>`);
      const r = await outcome(c);
      assert.equal(r.name, 'success');
      assert.ok(r.getChild('failed', SM)!.getChild('item-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
      assert.equal(r.getChildText('authorization-identifier'), 'frank@localhost/fresh');
      assert.ok(r.getChild('bound', BIND2)!.getChild('enabled', SM));
      const kids = r.getChildElements().map((e) => e.name);
      assert.ok(kids.indexOf('failed') < kids.indexOf('bound'), 'the failure before the new binding');
    });
  });

  describe('FAST tokens', () => {
    it('logs in with HT-SHA-256-NONE in one round trip; the server proves itself in <additional-data/>', async () => {
      const id = randomUUID();
      const token = await tokenFor(server, 'gina', 'gina-pass', id);
      assert.ok(token.length > 64);
      const { c, r } = await fastAuth(server, 'gina', token, id, { inner: `<bind xmlns='${BIND2}'><tag>fast</tag></bind>` });
      track(c);
      assert.equal(r.name, 'success', r.toString());
      assert.equal(r.getChildText('authorization-identifier'), 'gina@localhost/fast');
      assert.deepEqual(Buffer.from(r.getChildText('additional-data')!, 'base64'), ht(token, 'Responder'));
      assert.doesNotMatch(c.text, /<challenge/, 'no challenge: one round trip');
    });

    it('channel-bound tokens: HT-SHA-256-EXPR and -ENDP, each bound to its mechanism', async () => {
      const id = randomUUID();
      const expr = await tokenFor(server, 'gina', 'gina-pass', id, 'HT-SHA-256-EXPR');
      const e = await fastAuth(server, 'gina', expr, id, { mechanism: 'HT-SHA-256-EXPR' });
      track(e.c);
      assert.equal(e.r.name, 'success', e.r.toString());
      assert.deepEqual(Buffer.from(e.r.getChildText('additional-data')!, 'base64'), ht(expr, 'Responder', e.c.channelBinding('tls-exporter')));
      const other = await fastAuth(server, 'gina', expr, id, { mechanism: 'HT-SHA-256-NONE' });
      track(other.c);
      assert.equal(condition(other.r), 'not-authorized', 'a token is bound to the mechanism it was issued for (§3.4)');
      const id2 = randomUUID();
      const endp = await tokenFor(server, 'gina', 'gina-pass', id2, 'HT-SHA-256-ENDP');
      const p = await fastAuth(server, 'gina', endp, id2, { mechanism: 'HT-SHA-256-ENDP' });
      track(p.c);
      assert.equal(p.r.name, 'success', p.r.toString());
    });

    it('a wrong token, or a token of another client, is not-authorized, and failures are throttled like passwords', async () => {
      const id = randomUUID();
      const token = await tokenFor(server, 'gina', 'gina-pass', id);
      assert.equal(await fastWorks(server, 'gina', `${token.slice(0, -1)}x`, id), false);
      assert.equal(await fastWorks(server, 'gina', token, randomUUID()), false, 'tokens are per client');
      assert.equal(await fastWorks(server, 'hugo', token, id), false, 'and per account');
      assert.equal(await fastWorks(server, 'gina', token, id), true, 'the real token works (and clears the account failures)');
      // The third failure on one stream ends it (as for passwords).
      const { c } = await tlsStream(server);
      track(c);
      for (let i = 0; i < 3; i++) {
        authenticate(c, 'HT-SHA-256-NONE', htResponse('gina', 'not-a-token'), `${ua(id)}<fast xmlns='${FAST}'/>`);
        if (i < 2) assert.equal(condition(await outcome(c)), 'not-authorized');
      }
      assert.equal(await c.streamError(), 'policy-violation');
      // Five failures for the account within the window (RFC 6120 §13.9.4): even the right token waits.
      assert.equal(await fastWorks(server, 'gina', 'guess-4', id), false);
      assert.equal(await fastWorks(server, 'gina', 'guess-5', id), false);
      const blocked = await fastAuth(server, 'gina', token, id);
      track(blocked.c);
      assert.equal(condition(blocked.r), 'temporary-auth-failure');
    });

    it('rotates on <request-token/>: the old token stays valid until the new one is used (§3.5)', async () => {
      const id = randomUUID();
      const old = await tokenFor(server, 'hugo', 'hugo-pass', id);
      const { c, r } = await fastAuth(server, 'hugo', old, id, { inner: `<request-token xmlns='${FAST}' mechanism='HT-SHA-256-NONE'/>` });
      c.end();
      const fresh = r.getChild('token', FAST)!.attrs.token as string;
      assert.ok(fresh && fresh !== old);
      assert.equal(await fastWorks(server, 'hugo', old, id), true, 'the new token may never have arrived: the old one still works');
      assert.equal(await fastWorks(server, 'hugo', fresh, id), true);
      assert.equal(await fastWorks(server, 'hugo', old, id), false, 'once the new one is used, the older one is gone');
      assert.equal(await fastWorks(server, 'hugo', fresh, id), true);
    });

    it("<fast invalidate='true'/> logs in once more and then the token is gone (§3.6)", async () => {
      const id = randomUUID();
      const token = await tokenFor(server, 'hugo', 'hugo-pass', id);
      const { c, r } = await fastAuth(server, 'hugo', token, id, { fast: `<fast xmlns='${FAST}' invalidate='true'/>` });
      c.end();
      assert.equal(r.name, 'success');
      assert.equal(r.getChild('token', FAST), undefined, 'no new token unless asked');
      assert.equal(await fastWorks(server, 'hugo', token, id), false);
    });

    it('a password change makes every token useless; so does deleting the account', async () => {
      await createUser(server, 'ivan', 'ivan-pass');
      const id = randomUUID();
      const token = await tokenFor(server, 'ivan', 'ivan-pass', id);
      const ivan = await connect(server, 'ivan', 'ivan-pass', { presence: false });
      clients.push(ivan);
      const changed = await ivan.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('username', {}, 'ivan'), xml('password', {}, 'ivan-new-pass'))));
      assert.equal(changed.attrs.type, 'result', changed.toString());
      assert.equal(await fastWorks(server, 'ivan', token, id), false, 'after the password change');

      const token2 = await tokenFor(server, 'ivan', 'ivan-new-pass', id);
      assert.equal(await fastWorks(server, 'ivan', token2, id), true);
      const removed = await ivan.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
      assert.equal(removed.attrs.type, 'result');
      await createUser(server, 'ivan', 'ivan-third-pass');
      assert.equal(await fastWorks(server, 'ivan', token2, id), false, 'a re-created account of the same name inherits nothing');
    });
  });

  describe('@xmpp/client end to end', () => {
    it('SASL2 + Bind 2 with a tag and inline SM and carbons, then a FAST login without the password, then an inline resume', async () => {
      const bob = await connect(server, 'bob', 'bob-pass', { resource: 'xjs' });
      clients.push(bob);
      const userAgent = xml('user-agent', { id: randomUUID() }, xml('software', {}, 'tern-test'));
      const make = (password: string) => {
        const x = client({ service: `xmpp://127.0.0.1:${server.port}`, domain: 'localhost', username: 'alice', password, resource: 'phone', userAgent } as Parameters<typeof client>[0]);
        x.on('error', () => {});
        const sent: Element[] = [];
        const received: Element[] = [];
        x.on('send', (el: Element) => sent.push(el));
        x.on('element', (el: Element) => received.push(el));
        // Carbons inline (XEP-0386 §3.2): xmpp.js asks each advertised feature's handler.
        (x as unknown as { bind2: { use(ns: string, req: () => Element): void } }).bind2.use(CARBONS, () => xml('enable', { xmlns: CARBONS }));
        return { x, sent, received };
      };
      type Fast = { fetchToken(): Promise<unknown>; saveToken(t: unknown): Promise<void> };
      let saved: { token: string; mechanism: string } | undefined;

      const first = make('alice-pass');
      (first.x as unknown as { reconnect: { stop(): void } }).reconnect.stop();
      (first.x as unknown as { fast: Fast }).fast.saveToken = async (t) => { saved = t as typeof saved; };
      const jid = (await first.x.start()).toString();
      assert.equal(jid, 'alice@localhost/phone');
      const auth1 = first.sent.find((e) => e.name === 'authenticate')!;
      assert.equal(auth1.attrs.xmlns, SASL2, 'xmpp.js chose SASL2');
      assert.ok(auth1.getChild('bind', BIND2)!.getChild('enable', CARBONS), 'carbons requested inline');
      assert.ok(saved?.token, 'a FAST token was issued and kept');
      assert.equal(saved.mechanism, 'HT-SHA-256-NONE');
      await first.x.stop();

      // A FAST login: the wrong password proves the token did the work, with no fallback.
      const second = make('not-the-password');
      const sm = (second.x as unknown as { streamManagement: { enabled: boolean; id: string; on(ev: string, fn: () => void): void } }).streamManagement;
      (second.x as unknown as { fast: Fast }).fast.fetchToken = async () => ({ ...saved, expiry: new Date(Date.now() + 3600_000).toISOString() });
      const jid2 = (await second.x.start()).toString();
      assert.equal(jid2, 'alice@localhost/phone');
      const auths = second.sent.filter((e) => e.name === 'authenticate');
      assert.equal(auths.length, 1, 'one <authenticate/>');
      assert.equal(auths[0]!.attrs.mechanism, 'HT-SHA-256-NONE');
      assert.equal(second.sent.filter((e) => e.name === 'response').length, 0, 'no <response/>: one round trip');
      for (let i = 0; i < 100 && !sm.enabled; i++) await sleep(10);
      assert.ok(sm.enabled && sm.id, 'SM enabled inline');
      await second.x.send(xml('presence'));
      await bob.send(xml('message', { to: 'alice@localhost/phone', type: 'chat' }, xml('body', {}, 'before the drop')));
      await new Promise<void>((resolve) => second.x.on('stanza', (el: Element) => { if (el.getChildText('body') === 'before the drop') resolve(); }));

      // The TCP connection dies; xmpp.js reconnects and resumes inside <authenticate/>.
      const resumed = new Promise<void>((resolve) => sm.on('resumed', () => resolve()));
      const gotTwo = new Promise<void>((resolve) => second.x.on('stanza', (el: Element) => { if (el.getChildText('body') === 'while away') resolve(); }));
      second.sent.length = 0;
      second.received.length = 0;
      (second.x as unknown as { socket: { socket: { destroy(): void } } }).socket.socket.destroy();
      await sleep(100);
      await bob.send(xml('message', { to: 'alice@localhost/phone', type: 'chat' }, xml('body', {}, 'while away')));
      await resumed;
      await gotTwo;
      const again = second.sent.filter((e) => e.name === 'authenticate');
      assert.equal(again.length, 1);
      assert.ok(again[0]!.getChild('resume', SM), 'resume inline');
      assert.equal(second.sent.filter((e) => e.name === 'response' || e.name === 'resume').length, 0, 'nothing but the <authenticate/>');
      const success = second.received.find((e) => e.name === 'success')!;
      assert.ok(success.getChild('resumed', SM), 'resumed in the same round trip');
      (second.x as unknown as { reconnect: { stop(): void } }).reconnect.stop();
      await second.x.stop();
    });
  });
});
