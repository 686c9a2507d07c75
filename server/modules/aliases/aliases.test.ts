/** Aliases (PP2-24/25) end to end: the admin CLI, delivery to the owner, sending under an alias, exact errors. */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, RawClient, register, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

const cond = (el: Element) => el.getChild('error')?.children.find((c) => typeof c !== 'string' && c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas') as Element | undefined;
const chat = (body: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === body;

describe('aliases (PP2-24/25) @e2e', function () {
  this.timeout(40_000);
  let server: TestServer;
  let alice: TestClient;
  let bob: TestClient;

  before(async () => {
    server = await startServer();
    await createUser(server, 'alice', 'alice-pass');
    await createUser(server, 'bob', 'bob-pass');
    const r = await server.cli(['alias', 'add', 'wonder@localhost', 'alice@localhost']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wonder@localhost now delivers to alice@localhost/);
    // The running server re-reads the table every 2 s.
    await new Promise((res) => setTimeout(res, 2500));
    alice = await connect(server, 'alice', 'alice-pass', { resource: 'a' });
    bob = await connect(server, 'bob', 'bob-pass', { resource: 'b' });
  });
  after(async () => {
    await Promise.all([alice, bob].map((c) => c?.stop()));
    await server?.cleanup();
  });

  it('lists aliases from the CLI and to their owner', async () => {
    const r = await server.cli(['alias', 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wonder@localhost -> alice@localhost/);
    const own = await alice.iq(xml('iq', { type: 'get' }, xml('aliases', { xmlns: 'urn:tern:aliases:0' })));
    assert.deepEqual(own.getChild('aliases')!.getChildren('alias').map((a) => a.attrs.jid), ['wonder@localhost']);
  });

  it('delivers a message to the alias to the owner, keeping the alias as the visible "to"', async () => {
    await bob.send(xml('message', { to: 'wonder@localhost', type: 'chat' }, xml('body', {}, 'hi wonder')));
    const m = await alice.inbox.next(chat('hi wonder'));
    assert.equal(m.attrs.to, 'wonder@localhost');
    assert.equal(m.attrs.from, 'bob@localhost/b');
  });

  it('lets the owner send under the alias; replies come back through it', async () => {
    await alice.send(xml('message', { to: 'bob@localhost', from: 'wonder@localhost', type: 'chat' }, xml('body', {}, 'as wonder')));
    const m = await bob.inbox.next(chat('as wonder'));
    assert.equal(m.attrs.from, 'wonder@localhost/a', 'the alias with the session\'s resource; the account is not revealed');
    await bob.send(xml('message', { to: m.attrs.from, type: 'chat' }, xml('body', {}, 'reply to wonder')));
    const back = await alice.inbox.next(chat('reply to wonder'));
    assert.equal(back.attrs.to, 'wonder@localhost/a');
  });

  it('answers IQs to an alias as for no account: its owner\'s vCard is not revealed', async () => {
    await alice.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Alice Real'))));
    const r = await bob.iq(xml('iq', { type: 'get', to: 'wonder@localhost' }, xml('vCard', { xmlns: 'vcard-temp' })));
    assert.equal(cond(r)?.name, 'service-unavailable');
    assert.equal(r.attrs.from, 'wonder@localhost');
  });

  it('closes the stream with invalid-from for an alias the sender does not own', async () => {
    const raw = await RawClient.connect(server.port);
    await raw.login('bob', 'bob-pass');
    raw.write(`<message to='alice@localhost' from='wonder@localhost' type='chat'><body>spoof</body></message>`);
    const err = await raw.streamError();
    assert.equal(err, 'invalid-from');
    await alice.inbox.none(chat('spoof'));
  });

  it('refuses to register an account named like an alias (conflict), and an alias named like an account', async () => {
    const r = await register(server, 'wonder', 'wonder-pass');
    assert.equal(r.attrs.type, 'error');
    assert.equal(cond(r)?.name, 'conflict');
    const clash = await server.cli(['alias', 'add', 'bob@localhost', 'alice@localhost']);
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /bob is an account/);
    const twice = await server.cli(['alias', 'add', 'wonder@localhost', 'bob@localhost']);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already an alias of alice/);
  });

  it('removing an alias makes it an unknown address again', async () => {
    const r = await server.cli(['alias', 'remove', 'wonder@localhost']);
    assert.equal(r.code, 0, r.stderr);
    await new Promise((res) => setTimeout(res, 2500));
    const e = await bob.iq(xml('iq', { type: 'get', to: 'wonder@localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(cond(e)?.name, 'service-unavailable');
    await bob.send(xml('message', { to: 'wonder@localhost', type: 'chat' }, xml('body', {}, 'anyone?')));
    const bounce = await bob.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error');
    assert.equal(cond(bounce)?.name, 'service-unavailable');
    await alice.inbox.none(chat('anyone?'));
  });
});
