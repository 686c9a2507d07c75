/** XEP-0033 end to end: one message from Alice to Bob (to), Carol (cc) and Dave (bcc, offline). */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, errorCondition, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { expand, NS_ADDRESS } from './addresses.js';

const addrs = (el: Element) => el.getChild('addresses', NS_ADDRESS)?.getChildren('address') ?? [];
const addressMessage = (body: string, list: Array<Record<string, string>>, extra: Record<string, string> = {}) =>
  xml('message', { to: 'localhost', type: 'chat', ...extra },
    xml('addresses', { xmlns: NS_ADDRESS }, ...list.map((a) => xml('address', a))),
    xml('body', {}, body));
const withBody = (body: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === body;

describe('extended stanza addressing (XEP-0033) @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  let alice: TestClient;
  let bob: TestClient;
  let carol: TestClient;

  before(async () => {
    server = await startServer({ hosts: [], config: { hosts: [{ domain: 'localhost', registration: 'open', multicast: { max_addresses: 5 } }] } });
    for (const u of ['alice', 'bob', 'carol', 'dave']) await createUser(server, u, `${u}-pass`);
    alice = await connect(server, 'alice', 'alice-pass');
    bob = await connect(server, 'bob', 'bob-pass');
    carol = await connect(server, 'carol', 'carol-pass');
  });
  after(async () => {
    await Promise.all([alice, bob, carol].map((c) => c?.stop()));
    await server?.cleanup();
  });
  afterEach(() => { for (const c of [alice, bob, carol]) c.inbox.clear(); });

  it('is advertised in the server\'s disco#info', async () => {
    const info = await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === NS_ADDRESS));
  });

  it('delivers one copy to each of to, cc and bcc; nobody else sees the bcc; offline storage keeps it', async () => {
    await alice.send(addressMessage('hello all', [
      { type: 'to', jid: 'bob@localhost' },
      { type: 'cc', jid: 'carol@localhost' },
      { type: 'bcc', jid: 'dave@localhost' },
      { type: 'replyto', jid: 'alice@localhost/lists' },
    ]));
    for (const c of [bob, carol]) {
      const m = await c.inbox.next(withBody('hello all'));
      assert.equal(m.attrs.from, alice.jid, 'the sender stays the sender (§3)');
      assert.equal(m.attrs.to, c.bare);
      const list = addrs(m);
      assert.deepEqual(list.map((a) => `${a.attrs.type}:${a.attrs.jid}:${a.attrs.delivered ?? ''}`), [
        'to:bob@localhost:true', 'cc:carol@localhost:true', 'replyto:alice@localhost/lists:',
      ]);
      assert.ok(!m.toString().includes('dave'), 'the bcc recipient is invisible');
      await c.inbox.none(withBody('hello all'), 300);
    }
    await alice.inbox.none((el) => el.name === 'message' && el.attrs.type === 'error', 0);

    const dave = await connect(server, 'dave', 'dave-pass');
    try {
      const m = await dave.inbox.next(withBody('hello all'));
      assert.equal(m.attrs.from, alice.jid);
      const list = addrs(m);
      assert.deepEqual(list.map((a) => `${a.attrs.type}:${a.attrs.jid}`), ['to:bob@localhost', 'cc:carol@localhost', 'replyto:alice@localhost/lists', 'bcc:dave@localhost']);
      await dave.inbox.none(withBody('hello all'), 300);
    } finally {
      await dave.stop();
    }
  });

  it('delivers once to a recipient named twice, and skips addresses already delivered', async () => {
    await alice.send(addressMessage('once', [
      { type: 'to', jid: 'bob@localhost' },
      { type: 'bcc', jid: 'bob@localhost' },
      { type: 'cc', jid: 'carol@localhost', delivered: 'true' },
    ]));
    const m = await bob.inbox.next(withBody('once'));
    assert.ok(!addrs(m).some((a) => a.attrs.type === 'bcc'));
    await bob.inbox.none(withBody('once'), 300);
    await carol.inbox.none(withBody('once'), 0);
  });

  it('returns a failing recipient\'s error to the sender, and still delivers to the others', async () => {
    await alice.send(addressMessage('partly', [{ type: 'to', jid: 'nobody@localhost' }, { type: 'to', jid: 'bob@localhost' }], { id: 'm-partly' }));
    await bob.inbox.next(withBody('partly'));
    const err = await alice.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error');
    assert.equal(err.attrs.from, 'nobody@localhost');
    assert.equal(err.attrs.id, 'm-partly');
    assert.equal(errorCondition(err), 'service-unavailable');
  });

  it('answers too many addresses with not-acceptable, delivering to none (§8)', async () => {
    const list = ['bob', 'carol', 'dave', 'a', 'b', 'c'].map((u) => ({ type: 'to', jid: `${u}@localhost` }));
    await alice.send(addressMessage('too many', list, { id: 'm-many' }));
    const err = await alice.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'm-many');
    assert.equal(errorCondition(err), 'not-acceptable');
    await bob.inbox.none(withBody('too many'), 300);
  });

  it('answers a uri address with jid-malformed (§4.2: uri not supported)', async () => {
    await alice.send(addressMessage('uri', [{ type: 'to', uri: 'sip:bob@example.com' }], { id: 'm-uri' }));
    const err = await alice.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'm-uri');
    assert.equal(errorCondition(err), 'jid-malformed');
  });
});

describe('extended stanza addressing rules', () => {
  const msg = (list: Array<Record<string, string>>) =>
    xml('message', { from: 'a@h/r', to: 'h' }, xml('addresses', { xmlns: NS_ADDRESS }, ...list.map((a) => xml('address', a))), xml('body', {}, 'x'));

  it('gives each bcc recipient only its own bcc address', () => {
    const copies = expand(msg([{ type: 'to', jid: 'b@h' }, { type: 'bcc', jid: 'c@h' }, { type: 'bcc', jid: 'd@h' }]), 50);
    assert.deepEqual(copies.map((c) => c.to.toString()), ['b@h', 'c@h', 'd@h']);
    const seen = copies.map((c) => addrs(c.stanza).map((a) => a.attrs.jid).join(','));
    assert.deepEqual(seen, ['b@h', 'b@h,c@h', 'b@h,d@h']);
    assert.ok(copies.every((c) => c.stanza.getChildText('body') === 'x' && c.stanza.attrs.from === 'a@h/r'));
  });

  it('passes noreply and replyroom through and rejects unknown types', () => {
    const [c] = expand(msg([{ type: 'to', jid: 'b@h' }, { type: 'noreply' }, { type: 'replyroom', jid: 'room@conference.h' }]), 50);
    assert.deepEqual(addrs(c!.stanza).map((a) => a.attrs.type), ['to', 'noreply', 'replyroom']);
    assert.throws(() => expand(msg([{ type: 'sideways', jid: 'b@h' }]), 50), /bad-request/);
    assert.throws(() => expand(msg([{ type: 'to', jid: 'b@h', uri: 'im:b@h' }]), 50), /bad-request/);
    assert.throws(() => expand(msg([{ type: 'to', jid: 'a@@h' }]), 50), /jid-malformed/);
  });
});
