/** XEP-0280 Message Carbons end to end with three of Alice's devices and Bob. */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { eligible } from './eligible.js';

const NS = 'urn:xmpp:carbons:2';

function forwarded(el: Element, kind: 'sent' | 'received'): Element | undefined {
  return el.getChild(kind, NS)?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message');
}
const isCarbon = (kind: 'sent' | 'received', body?: string) => (el: Element) =>
  el.name === 'message' && forwarded(el, kind) !== undefined && (!body || forwarded(el, kind)!.getChildText('body') === body);
const isChat = (body: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === body;
const anyCarbon = (el: Element) => el.name === 'message' && (el.getChild('sent', NS) !== undefined || el.getChild('received', NS) !== undefined);

describe('message carbons (XEP-0280) @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  let phone: TestClient;
  let desk: TestClient;
  let plain: TestClient;
  let bob: TestClient;

  before(async () => {
    server = await startServer();
    await createUser(server, 'alice', 'alice-pass');
    await createUser(server, 'bob', 'bob-pass');
    phone = await connect(server, 'alice', 'alice-pass', { resource: 'phone', presence: false });
    desk = await connect(server, 'alice', 'alice-pass', { resource: 'desk', presence: false });
    plain = await connect(server, 'alice', 'alice-pass', { resource: 'plain', presence: false });
    bob = await connect(server, 'bob', 'bob-pass', { resource: 'b' });
    for (const c of [phone, desk]) {
      const r = await c.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: NS })));
      assert.equal(r.attrs.type, 'result');
    }
    await phone.send(xml('presence', {}, xml('priority', {}, '5')));
    await desk.send(xml('presence', {}, xml('priority', {}, '1')));
    await plain.send(xml('presence', {}, xml('priority', {}, '1')));
    await phone.iq(xml('iq', { type: 'get', to: server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  });
  after(async () => {
    await Promise.all([phone, desk, plain, bob].map((c) => c?.stop()));
    await server?.cleanup();
  });
  afterEach(() => { for (const c of [phone, desk, plain, bob]) c.inbox.clear(); });

  it('is advertised by the server', async () => {
    const info = await phone.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === NS));
  });

  it('copies a received message to the enabled resources that did not get it (§7)', async () => {
    await bob.send(xml('message', { to: 'alice@localhost/desk', type: 'chat' }, xml('body', {}, 'to the desk')));
    await desk.inbox.next(isChat('to the desk'));
    const c = await phone.inbox.next(isCarbon('received', 'to the desk'));
    assert.equal(c.attrs.from, 'alice@localhost', 'carbons come from the bare JID');
    assert.equal(c.attrs.to, 'alice@localhost/phone');
    assert.equal(c.attrs.type, 'chat');
    assert.equal(forwarded(c, 'received')!.attrs.from, 'bob@localhost/b');
    assert.equal(forwarded(c, 'received')!.attrs.xmlns, 'jabber:client');
    await desk.inbox.none(anyCarbon, 200);
    await plain.inbox.none((el) => el.name === 'message', 0);
  });

  it('copies for a message to the bare JID only to the resources that did not get the original', async () => {
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat' }, xml('body', {}, 'to alice')));
    await phone.inbox.next(isChat('to alice'));
    await desk.inbox.next(isCarbon('received', 'to alice'));
    await phone.inbox.none(anyCarbon, 200);
    await plain.inbox.none((el) => el.name === 'message', 0);
  });

  it('copies a sent message to the sender\'s other enabled resources, not to the sender (§8)', async () => {
    await plain.send(xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, 'from plain')));
    await bob.inbox.next(isChat('from plain'));
    for (const c of [phone, desk]) {
      const s = await c.inbox.next(isCarbon('sent', 'from plain'));
      assert.equal(forwarded(s, 'sent')!.attrs.from, 'alice@localhost/plain');
      assert.equal(forwarded(s, 'sent')!.attrs.to, 'bob@localhost');
    }
    await phone.send(xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, 'from phone')));
    await desk.inbox.next(isCarbon('sent', 'from phone'));
    await phone.inbox.none(anyCarbon, 200);
  });

  it('makes no copies of <private/> messages, no-copy hints, headlines or groupchat (§6, §9)', async () => {
    await phone.send(xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, 'secret'), xml('private', { xmlns: NS })));
    await bob.inbox.next(isChat('secret'));
    await bob.send(xml('message', { to: 'alice@localhost/phone', type: 'chat' }, xml('body', {}, 'hinted'), xml('no-copy', { xmlns: 'urn:xmpp:hints' })));
    await phone.inbox.next(isChat('hinted'));
    await bob.send(xml('message', { to: 'alice@localhost/phone', type: 'headline' }, xml('body', {}, 'news')));
    await phone.inbox.next(isChat('news'));
    await desk.inbox.none(anyCarbon, 300);
  });

  it('stops copying after disable', async () => {
    assert.equal((await desk.iq(xml('iq', { type: 'set' }, xml('disable', { xmlns: NS })))).attrs.type, 'result');
    assert.equal((await desk.iq(xml('iq', { type: 'set' }, xml('disable', { xmlns: NS })))).attrs.type, 'result', 'disabling twice is not an error');
    await bob.send(xml('message', { to: 'alice@localhost/phone', type: 'chat' }, xml('body', {}, 'after disable')));
    await phone.inbox.next(isChat('after disable'));
    await desk.inbox.none(anyCarbon, 300);
  });

  it('follows the §6 eligibility rules', () => {
    const m = (attrs: Record<string, string>, ...children: Element[]) => xml('message', attrs, ...children);
    assert.ok(eligible(m({ type: 'chat' }, xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' }))), 'chat states travel in chat messages');
    assert.ok(eligible(m({}, xml('body', {}, 'x'))), 'normal with a body');
    assert.ok(!eligible(m({}, xml('subject', {}, 'x'))), 'normal without a body');
    assert.ok(!eligible(m({ type: 'error' }, xml('body', {}, 'x'))));
    assert.ok(!eligible(m({ type: 'chat' }, xml('body', {}, 'x'), xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' }))), 'MUC private messages');
    assert.ok(!eligible(m({ type: 'chat' }, xml('received', { xmlns: NS }))), 'a carbon is never copied again');
  });
});
