/**
 * XEP-0198 stream management over real sockets: a byte-level client (so every h is ours to
 * choose) and @xmpp/client as the correspondent. The phone's TCP connection is cut mid-conversation
 * and resumed without loss or duplicates, on the STARTTLS port and on the direct TLS port; a
 * session whose resumption time runs out hands its unacknowledged messages to offline storage.
 */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, errorCondition, is, RawClient, type TestClient, xml } from '../harness/clients.js';
import { startServer, type TestServer } from '../harness/server.js';

const NS = 'urn:xmpp:sm:3';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const isBody = (body: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === body;
const bodies = (els: Element[]) => els.filter((e) => e.name === 'message').map((e) => e.getChildText('body'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const STANZA = new Set(['message', 'presence', 'iq']);
/** Everything a raw client received, so that it can acknowledge exactly what it handled. */
const logs = new WeakMap<RawClient, Element[]>();
function watch(c: RawClient): void {
  const log: Element[] = [];
  logs.set(c, log);
  const push = c.inbox.push.bind(c.inbox);
  c.inbox.push = (el: Element) => { log.push(el); push(el); };
}
/** The client's h (§4): stanzas received since <enabled/> or <resumed/>, plus what it had acknowledged before. */
function handled(c: RawClient, base = 0): number {
  const log = logs.get(c)!;
  let i = log.length - 1;
  while (i >= 0 && log[i]!.name !== 'enabled' && log[i]!.name !== 'resumed') i--;
  return base + log.slice(i + 1).filter((e) => STANZA.has(e.name)).length;
}
/** A clean end (§5: closing the stream ends the session; only a lost connection hibernates it). */
function closeStream(c: RawClient): void {
  c.write('</stream:stream>');
  c.end();
}
function ackAll(c: RawClient, base = 0): void {
  c.write(`<a xmlns='${NS}' h='${handled(c, base)}'/>`);
}

/** STARTTLS (or direct TLS) and PLAIN; the stream is restarted and unbound. */
async function authenticated(server: TestServer, user: string, pass: string, directTls = false): Promise<RawClient> {
  const c = await RawClient.connect(directTls ? server.tlsPort : server.port, { directTls });
  watch(c);
  await c.openStream(server.domain);
  if (!directTls) await c.startTls(server.domain);
  const r = await c.authPlain(user, pass, server.domain);
  assert.equal(r.name, 'success');
  return c;
}

async function bound(server: TestServer, user: string, pass: string, resource: string): Promise<RawClient> {
  const c = await authenticated(server, user, pass);
  c.write(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  await c.inbox.next((el) => el.name === 'iq' && el.attrs.id === 'b', 5000, 'bind result');
  return c;
}

async function enable(c: RawClient): Promise<Element> {
  c.write(`<enable xmlns='${NS}' resume='true'/>`);
  return c.inbox.next((el) => el.name === 'enabled' || el.name === 'failed', 5000, '<enabled/>');
}

async function resume(c: RawClient, previd: string, h: number): Promise<Element> {
  c.write(`<resume xmlns='${NS}' previd='${previd}' h='${h}'/>`);
  return c.inbox.next((el) => el.name === 'resumed' || el.name === 'failed', 5000, 'resume outcome');
}

describe('stream management (XEP-0198) @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  let bob: TestClient;
  const raws: RawClient[] = [];
  const track = <T extends RawClient>(c: T): T => { raws.push(c); return c; };

  before(async () => {
    server = await startServer({ config: { stream_management: { resume_timeout_s: 3, max_unacked: 10 } } });
    await createUser(server, 'phone', 'phone-pass');
    await createUser(server, 'bob', 'bob-pass');
    await createUser(server, 'eve', 'eve-pass');
    bob = await connect(server, 'bob', 'bob-pass', { resource: 'desk' });
    // Mutual subscription, so that Bob sees the phone's presence.
    const setup = await connect(server, 'phone', 'phone-pass', { resource: 'setup' });
    await setup.send(xml('presence', { to: 'bob@localhost', type: 'subscribe' }));
    await bob.inbox.next(is.presence('phone@localhost', 'subscribe'));
    await bob.send(xml('presence', { to: 'phone@localhost', type: 'subscribed' }));
    await bob.send(xml('presence', { to: 'phone@localhost', type: 'subscribe' }));
    await setup.inbox.next(is.presence('bob@localhost', 'subscribe'));
    await setup.send(xml('presence', { to: 'bob@localhost', type: 'subscribed' }));
    await setup.inbox.next(is.presence('bob@localhost', 'subscribed'));
    await setup.stop();
    await sleep(200);
    bob.inbox.clear();
  });
  after(async () => {
    for (const c of raws) c.destroy();
    await bob?.stop();
    await server?.cleanup();
  });
  afterEach(() => bob.inbox.clear());

  it('is offered after authentication, and enabling before binding fails with unexpected-request', async () => {
    const c = track(await authenticated(server, 'phone', 'phone-pass'));
    assert.ok(c.lastFeatures().getChild('sm', NS), 'the restarted stream offers stream management');
    const r = await enable(c);
    assert.equal(r.name, 'failed');
    assert.ok(r.getChild('unexpected-request', STANZAS));
    c.destroy();
  });

  it('answers <r/> with the number of stanzas it handled, and refuses a second <enable/>', async () => {
    const c = track(await bound(server, 'phone', 'phone-pass', 'counting'));
    const en = await enable(c);
    assert.equal(en.name, 'enabled');
    assert.equal(en.attrs.resume, 'true');
    assert.equal(en.attrs.max, '3');
    c.write(`<presence/><iq type='get' id='p1' to='${server.domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await c.inbox.next((el) => el.name === 'iq' && el.attrs.id === 'p1');
    c.write(`<r xmlns='${NS}'/>`);
    const a = await c.inbox.next((el) => el.name === 'a');
    assert.equal(a.attrs.h, '2');
    const again = await enable(c);
    assert.equal(again.name, 'failed');
    assert.ok(again.getChild('unexpected-request', STANZAS));
    // Acknowledged and closed cleanly: nothing of this session lingers.
    ackAll(c);
    closeStream(c);
    await c.closed;
  });

  it('resumes a dropped connection: every unacknowledged message again, in order, none twice', async () => {
    const c = track(await bound(server, 'phone', 'phone-pass', 'mobile'));
    const en = await enable(c);
    c.write('<presence/>');
    await bob.inbox.next((el) => el.name === 'presence' && el.attrs.from === 'phone@localhost/mobile', 5000, "the phone's presence");
    for (const n of [1, 2, 3]) await bob.send(xml('message', { to: 'phone@localhost', type: 'chat' }, xml('body', {}, `m${n}`)));
    await c.inbox.next(isBody('m3'), 5000, 'm3');
    // The server asks for an acknowledgement after sending.
    await c.inbox.next((el) => el.name === 'r' && el.attrs.xmlns === NS, 5000, '<r/>');
    // The phone saw everything, but acknowledges only up to m1 before its radio dies.
    const seen = logs.get(c)!.filter((e) => STANZA.has(e.name));
    const h = seen.filter((e) => e.name !== 'iq').findIndex(isBody('m1')) + 1;
    assert.ok(h > 0);
    c.destroy();
    await sleep(200);
    await bob.send(xml('message', { to: 'phone@localhost', type: 'chat' }, xml('body', {}, 'm4')));
    await bob.send(xml('message', { to: 'phone@localhost/mobile', type: 'chat' }, xml('body', {}, 'm5')));
    // While hibernated the phone is still online for its contacts.
    await bob.inbox.none((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === 'phone@localhost/mobile', 300);

    const d = track(await authenticated(server, 'phone', 'phone-pass'));
    const r = await resume(d, en.attrs.id!, h);
    assert.equal(r.name, 'resumed', r.toString());
    assert.equal(r.attrs.previd, en.attrs.id);
    assert.equal(r.attrs.h, '1'); // the phone's presence
    await d.inbox.next(isBody('m5'), 5000, 'm5 after resumption');
    const after = logs.get(d)!;
    assert.deepEqual(bodies(after), ['m2', 'm3', 'm4', 'm5']);
    const resent = after.find(isBody('m2'))!;
    assert.ok(resent.getChild('delay', 'urn:xmpp:delay'), 're-sent stanzas carry the time they were first sent');
    // The resumed session is the old one: same full JID, and it keeps working both ways.
    d.write(`<message to='bob@localhost' type='chat'><body>back</body></message>`);
    const back = await bob.inbox.next(isBody('back'));
    assert.equal(back.attrs.from, 'phone@localhost/mobile');
    ackAll(d, h);
    d.write(`<r xmlns='${NS}'/>`);
    const a = await d.inbox.next((el) => el.name === 'a');
    assert.equal(a.attrs.h, '2');
    closeStream(d);
    await d.closed;
  });

  it('resumes on the direct TLS port a session that began with STARTTLS', async () => {
    const c = track(await bound(server, 'phone', 'phone-pass', 'roaming'));
    const en = await enable(c);
    await bob.send(xml('message', { to: 'phone@localhost/roaming', type: 'chat' }, xml('body', {}, 'over-tls')));
    await c.inbox.next(isBody('over-tls'));
    c.destroy();
    const d = track(await authenticated(server, 'phone', 'phone-pass', true));
    const r = await resume(d, en.attrs.id!, 0);
    assert.equal(r.name, 'resumed');
    await d.inbox.next(isBody('over-tls'), 5000, 'the message again');
    ackAll(d);
    closeStream(d);
  });

  it('takes over a connection the server still thinks is alive', async () => {
    const c = track(await bound(server, 'phone', 'phone-pass', 'flaky'));
    const en = await enable(c);
    const d = track(await authenticated(server, 'phone', 'phone-pass'));
    const r = await resume(d, en.attrs.id!, 0);
    assert.equal(r.name, 'resumed');
    await c.closed; // the old connection is closed by the server
    await bob.send(xml('message', { to: 'phone@localhost/flaky', type: 'chat' }, xml('body', {}, 'to-new')));
    await d.inbox.next(isBody('to-new'));
    ackAll(d);
    closeStream(d);
  });

  it('refuses an unknown id and another user\'s session with item-not-found, then binds normally', async () => {
    const c = track(await bound(server, 'phone', 'phone-pass', 'victim'));
    const en = await enable(c);
    const eve = track(await authenticated(server, 'eve', 'eve-pass'));
    const stolen = await resume(eve, en.attrs.id!, 0);
    assert.equal(stolen.name, 'failed');
    assert.ok(stolen.getChild('item-not-found', STANZAS));
    const unknown = await resume(eve, 'no-such-id', 0);
    assert.equal(unknown.name, 'failed');
    assert.ok(unknown.getChild('item-not-found', STANZAS));
    eve.write(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    const b = await eve.inbox.next((el) => el.name === 'iq' && el.attrs.id === 'b');
    assert.equal(b.attrs.type, 'result');
    // The victim's session was not disturbed.
    await bob.send(xml('message', { to: 'phone@localhost/victim', type: 'chat' }, xml('body', {}, 'still-mine')));
    await c.inbox.next(isBody('still-mine'));
    ackAll(c);
    closeStream(c);
    closeStream(eve);
  });

  it('closes the stream with handled-count-too-high when the client acknowledges more than was sent', async () => {
    const c = track(await bound(server, 'phone', 'phone-pass', 'liar'));
    await enable(c);
    c.write(`<a xmlns='${NS}' h='42'/>`);
    assert.equal(await c.streamError(), 'undefined-condition');
    assert.match(c.text, /<handled-count-too-high xmlns='urn:xmpp:sm:3' h='42' send-count='0'\/>/);
  });

  it('after the resumption timeout: messages go to offline storage, IQs bounce, contacts see unavailable', async () => {
    const c = track(await bound(server, 'phone', 'phone-pass', 'lost'));
    const en = await enable(c);
    c.write(`<presence><priority>1</priority></presence>`);
    await bob.inbox.next((el) => el.name === 'presence' && el.attrs.from === 'phone@localhost/lost');
    await bob.send(xml('message', { to: 'phone@localhost', type: 'chat' }, xml('body', {}, 'kept-1')));
    await c.inbox.next(isBody('kept-1'));
    c.destroy();
    await sleep(200);
    await bob.send(xml('message', { to: 'phone@localhost', type: 'chat' }, xml('body', {}, 'kept-2')));
    await bob.send(xml('message', { to: 'phone@localhost', type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    const iq = bob.iq(xml('iq', { type: 'get', to: 'phone@localhost/lost' }, xml('query', { xmlns: 'jabber:iq:version' })), 10_000);
    const gone = await bob.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === 'phone@localhost/lost', 10_000, 'unavailable after the timeout');
    assert.ok(gone);
    const reply = await iq;
    assert.equal(reply.attrs.type, 'error');
    assert.equal(errorCondition(reply), 'service-unavailable');
    const d = track(await authenticated(server, 'phone', 'phone-pass'));
    const late = await resume(d, en.attrs.id!, 0);
    assert.equal(late.name, 'failed');
    assert.ok(late.getChild('item-not-found', STANZAS));
    d.destroy();
    const again = track(await bound(server, 'phone', 'phone-pass', 'fresh'));
    again.write('<presence/>');
    await again.inbox.next(isBody('kept-2'), 5000, 'kept-2 from offline storage');
    await again.inbox.none((el) => el.name === 'message' && el.getChild('composing') !== undefined, 300);
    assert.deepEqual(bodies(logs.get(again)!), ['kept-1', 'kept-2']);
    closeStream(again);
  });

  it('ends a hibernated session whose queue outgrows max_unacked, its messages kept offline', async () => {
    const c = track(await bound(server, 'phone', 'phone-pass', 'overflow'));
    await enable(c);
    c.write(`<presence><priority>2</priority></presence>`);
    await bob.inbox.next((el) => el.name === 'presence' && el.attrs.from === 'phone@localhost/overflow');
    ackAll(c);
    c.destroy();
    await sleep(200);
    const started = Date.now();
    for (let n = 0; n < 12; n++) await bob.send(xml('message', { to: 'phone@localhost', type: 'chat' }, xml('body', {}, `flood-${n}`)));
    await bob.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && el.attrs.from === 'phone@localhost/overflow', 2500, 'unavailable before the timeout');
    assert.ok(Date.now() - started < 2500);
    const again = track(await bound(server, 'phone', 'phone-pass', 'after-flood'));
    again.write('<presence/>');
    await again.inbox.next(isBody('flood-11'), 5000, 'the last flood message from offline storage');
    assert.deepEqual(bodies(logs.get(again)!), Array.from({ length: 12 }, (_, n) => `flood-${n}`));
    closeStream(again);
  });
});
