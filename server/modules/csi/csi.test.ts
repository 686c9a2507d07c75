/** XEP-0352 Client State Indication end to end: a real Tern, Alice's phone and Bob with @xmpp/client. */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, is, RawClient, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

const NS = 'urn:xmpp:csi:0';
const CHATSTATES = 'http://jabber.org/protocol/chatstates';

describe('client state indication (XEP-0352) @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  let alice: TestClient;
  let bob: TestClient;
  let carol: TestClient;

  const presenceFrom = (from: string) => (el: Element) => el.name === 'presence' && el.attrs.from === from && el.attrs.type === undefined;
  const pingServer = (c: TestClient) => c.iq(xml('iq', { type: 'get', to: server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  const bobShows = (show: string) => bob.send(xml('presence', {}, xml('show', {}, show), xml('status', {}, `status ${show}`)));
  const bobTypes = (state: string) => bob.send(xml('message', { to: alice.jid, type: 'chat' }, xml(state, { xmlns: CHATSTATES })));
  /** A round trip through the server for Bob, so what he sent before has been routed. */
  const bobSettled = () => pingServer(bob);

  before(async () => {
    server = await startServer();
    await createUser(server, 'alice', 'alice-pass');
    await createUser(server, 'bob', 'bob-pass');
    await createUser(server, 'carol', 'carol-pass');
    alice = await connect(server, 'alice', 'alice-pass', { resource: 'phone' });
    bob = await connect(server, 'bob', 'bob-pass', { resource: 'b' });
    carol = await connect(server, 'carol', 'carol-pass', { resource: 'c' });
    // Mutual subscription between Alice and Bob (RFC 6121 §3), then both announce presence again.
    await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribe' }));
    await bob.inbox.next(is.presence('alice@localhost', 'subscribe'));
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribed' }));
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    await alice.inbox.next(is.presence('bob@localhost', 'subscribe'));
    await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribed' }));
    await alice.inbox.next(presenceFrom(bob.jid), 5000, "Bob's presence after subscribing");
    await bob.inbox.next(presenceFrom(alice.jid), 5000, "Alice's presence after subscribing");
  });
  after(async () => {
    await Promise.all([alice, bob, carol].map((c) => c?.stop()));
    await server?.cleanup();
  });
  afterEach(async () => {
    await alice.send(xml('active', { xmlns: NS }));
    await pingServer(alice);
    for (const c of [alice, bob, carol]) c.inbox.clear();
  });

  it('is offered as a stream feature after authentication only (§4.1)', async () => {
    const raw = await RawClient.connect(server.port);
    try {
      const before = await raw.openStream();
      assert.equal(before.getChild('csi', NS), undefined, 'not before authentication');
      const tlsFeatures = await raw.startTls();
      assert.equal(tlsFeatures.getChild('csi', NS), undefined, 'not before authentication');
      const r = await raw.authPlain('alice', 'alice-pass');
      assert.equal(r.name, 'success');
      const after = raw.lastFeatures();
      assert.ok(after.getChild('bind', 'urn:ietf:params:xml:ns:xmpp-bind'));
      assert.ok(after.getChild('csi', NS), `csi in ${after.toString()}`);
    } finally {
      raw.destroy();
    }
  });

  it('while inactive, presence updates and typing wait; a message releases the latest presence first, then itself (§3.2)', async () => {
    await alice.send(xml('inactive', { xmlns: NS }));
    await pingServer(alice);
    for (const show of ['away', 'xa', 'dnd', 'chat', 'away']) await bobShows(show);
    await bobTypes('composing');
    await bobTypes('paused');
    await bobSettled();
    await alice.inbox.none(() => true, 500);

    await bob.send(xml('message', { to: alice.jid, type: 'chat' }, xml('body', {}, 'wake up')));
    await alice.inbox.next(is.chat('wake up'), 5000, 'the message');
    const got = alice.inbox.all();
    const presences = got.filter(presenceFrom(bob.jid));
    assert.equal(presences.length, 1, `one presence of Bob, not the 5 intermediate ones: ${got.join('\n')}`);
    assert.equal(presences[0]!.getChildText('status'), 'status away', 'the latest presence');
    // The inbox keeps arrival order: the presence, then the latest chat state, then (taken) the message.
    assert.equal(got[0], presences[0], 'the presence came before the message');
    const states = got.filter((el) => el.name === 'message');
    assert.equal(states.length, 1, 'one chat state: the latest');
    assert.ok(states[0]!.getChild('paused', CHATSTATES), 'the latest chat state (paused)');
  });

  it('<active/> releases what was held and stops holding (§4.2)', async () => {
    await alice.send(xml('inactive', { xmlns: NS }));
    await pingServer(alice);
    await bobShows('dnd');
    await bobShows('xa');
    await bobTypes('composing');
    await bobSettled();
    await alice.inbox.none(() => true, 300);
    await alice.send(xml('active', { xmlns: NS }));
    const p = await alice.inbox.next(presenceFrom(bob.jid), 5000, 'held presence released by <active/>');
    assert.equal(p.getChildText('show'), 'xa');
    await alice.inbox.next((el) => el.name === 'message' && el.getChild('composing', CHATSTATES) !== undefined, 5000, 'held chat state');
    await alice.inbox.none(presenceFrom(bob.jid), 200);
    // Active again: nothing waits.
    await bobShows('chat');
    const now = await alice.inbox.next(presenceFrom(bob.jid), 2000, 'live presence');
    assert.equal(now.getChildText('show'), 'chat');
  });

  it('what <active/> releases is written before the reply to the next request (§5.1 in-order processing)', async () => {
    await alice.send(xml('inactive', { xmlns: NS }));
    await pingServer(alice);
    await bobShows('away');
    await bobSettled();
    alice.inbox.clear();
    await alice.send(xml('active', { xmlns: NS }));
    const pong = await pingServer(alice);
    assert.equal(pong.attrs.type, 'result');
    const p = alice.inbox.all().filter(presenceFrom(bob.jid));
    assert.equal(p.length, 1, 'the presence arrived before the pong');
  });

  it('IQs are never held, and they release what waits before them', async () => {
    await alice.send(xml('inactive', { xmlns: NS }));
    await pingServer(alice);
    await bobShows('dnd');
    await bobSettled();
    await alice.inbox.none(() => true, 300);
    await bob.send(xml('iq', { to: alice.jid, type: 'get', id: 'bob-ping' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await alice.inbox.next((el) => el.name === 'iq' && el.attrs.id === 'bob-ping', 3000, "Bob's IQ while inactive");
    const got = alice.inbox.all();
    assert.equal(got.length, 1, `the held presence, before the IQ: ${got.join('\n')}`);
    assert.equal(got[0]!.getChildText('show'), 'dnd');
    // The server's own replies to Alice are IQs too: never held.
    const pong = await pingServer(alice);
    assert.equal(pong.attrs.type, 'result');
  });

  it('a subscription request is urgent', async () => {
    await alice.send(xml('inactive', { xmlns: NS }));
    await pingServer(alice);
    await carol.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    const req = await alice.inbox.next(is.presence('carol@localhost', 'subscribe'), 3000, 'subscription request while inactive');
    assert.equal(req.attrs.type, 'subscribe');
  });

  it('receipts wait like presence; a body-less encrypted (OMEMO) message does not', async () => {
    await alice.send(xml('inactive', { xmlns: NS }));
    await pingServer(alice);
    await bob.send(xml('message', { to: alice.jid }, xml('received', { xmlns: 'urn:xmpp:receipts', id: 'm1' })));
    await bobSettled();
    await alice.inbox.none(() => true, 300);
    await bob.send(xml('message', { to: alice.jid, type: 'chat' }, xml('encrypted', { xmlns: 'eu.siacs.conversations.axolotl' }, xml('header', { sid: '1' }))));
    await alice.inbox.next((el) => el.getChild('encrypted', 'eu.siacs.conversations.axolotl') !== undefined, 3000, 'the OMEMO message');
    const got = alice.inbox.all();
    assert.equal(got.length, 1);
    assert.equal(got[0]!.getChild('received', 'urn:xmpp:receipts')?.attrs.id, 'm1', 'the receipt went first');
  });

  it('an unknown element in the CSI namespace ends the stream with unsupported-stanza-type (RFC 6120 §4.9.3.23)', async () => {
    const raw = await RawClient.connect(server.port);
    try {
      await raw.login('carol', 'carol-pass', 'raw');
      raw.write(`<inactive xmlns='${NS}'/><active xmlns='${NS}'/>`);
      raw.write(`<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
      const pong = await raw.inbox.next((el) => el.name === 'iq' && el.attrs.id === 'p1');
      assert.equal(pong.attrs.type, 'result', 'both elements are taken without a reply');
      raw.write(`<state xmlns='${NS}'/>`);
      assert.equal(await raw.streamError(), 'unsupported-stanza-type');
    } finally {
      raw.destroy();
    }
  });
});
