/** XEP-0191 Blocking Command end to end: list, block, unblock, pushes, and what blocked stanzas get. */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, errorCondition, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { runSlixmpp } from '../../../test/harness/slixmpp.js';
import { itemMatches } from './match.js';
import { Jid } from '../../core/jid.js';

const NS = 'urn:xmpp:blocking';
const NS_ERR = 'urn:xmpp:blocking:errors';
const PASS = 'secret-pass';

const blockIq = (name: 'block' | 'unblock', ...jids: string[]) => xml('iq', { type: 'set' }, xml(name, { xmlns: NS }, ...jids.map((jid) => xml('item', { jid }))));
const getList = () => xml('iq', { type: 'get' }, xml('blocklist', { xmlns: NS }));
const listed = (el: Element) => el.getChild('blocklist', NS)!.getChildren('item').map((i) => i.attrs.jid as string).sort();
const pushOf = (name: string) => (el: Element) => el.name === 'iq' && el.attrs.type === 'set' && el.getChild(name, NS) !== undefined;
const pushItems = (el: Element, name: string) => el.getChild(name, NS)!.getChildren('item').map((i) => i.attrs.jid as string).sort();
const isMsg = (body: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === body;
const presenceFrom = (bare: string, type?: string) => (el: Element) => el.name === 'presence' && (el.attrs.from as string).startsWith(bare) && el.attrs.type === type;

/** Mutual presence subscription between two connected, available clients. */
async function befriend(a: TestClient, b: TestClient): Promise<void> {
  await a.send(xml('presence', { to: b.bare, type: 'subscribe' }));
  await b.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe');
  await b.send(xml('presence', { to: a.bare, type: 'subscribed' }));
  await b.send(xml('presence', { to: a.bare, type: 'subscribe' }));
  await a.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe');
  await a.send(xml('presence', { to: b.bare, type: 'subscribed' }));
  await a.inbox.next(presenceFrom(b.bare));
  await b.inbox.next(presenceFrom(a.bare));
}

describe('JID matching of block list items (XEP-0016 §2.1)', () => {
  const m = (item: string, jid: string) => itemMatches(Jid.parse(item), Jid.parse(jid));
  it('matches from the most to the least specific form', () => {
    assert.ok(m('a@x/r', 'a@x/r'));
    assert.ok(!m('a@x/r', 'a@x/s'));
    assert.ok(!m('a@x/r', 'a@x'));
    assert.ok(m('a@x', 'a@x'));
    assert.ok(m('a@x', 'a@x/any'));
    assert.ok(!m('a@x', 'b@x'));
    assert.ok(m('x/r', 'x/r'));
    assert.ok(!m('x/r', 'a@x/r'));
    assert.ok(m('x', 'x'));
    assert.ok(m('x', 'a@x/r'));
    assert.ok(!m('x', 'a@y'));
    assert.ok(!m('x', 'a@sub.x'));
  });
});

describe('blocking command (XEP-0191) @e2e', function () {
  this.timeout(40_000);
  let server: TestServer;
  let juliet1: TestClient;
  let juliet2: TestClient;
  let romeo: TestClient;
  let nurse: TestClient;

  before(async () => {
    server = await startServer();
    for (const u of ['juliet', 'romeo', 'nurse']) await createUser(server, u, PASS);
    juliet1 = await connect(server, 'juliet', PASS, { resource: 'balcony' });
    juliet2 = await connect(server, 'juliet', PASS, { resource: 'chamber' });
    romeo = await connect(server, 'romeo', PASS, { resource: 'orchard' });
    nurse = await connect(server, 'nurse', PASS, { resource: 'kitchen' });
    await befriend(juliet1, romeo);
    juliet2.inbox.clear();
    // Both of Juliet's resources become interested (§3.2) by retrieving the list.
    for (const c of [juliet1, juliet2]) {
      const r = await c.iq(getList());
      assert.equal(r.attrs.type, 'result');
      assert.deepEqual(listed(r), []);
    }
  });
  after(async () => {
    await Promise.all([juliet1, juliet2, romeo, nurse].map((c) => c?.stop()));
    await server?.cleanup();
  });
  afterEach(() => { for (const c of [juliet1, juliet2, romeo, nurse]) c.inbox.clear(); });

  it('is advertised in the server\'s disco#info (§3.1)', async () => {
    const info = await juliet1.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === NS));
  });

  it('refuses a block without items with bad-request and a bad JID with jid-malformed (§3.3)', async () => {
    const empty = await juliet1.iq(blockIq('block'));
    assert.equal(empty.attrs.type, 'error');
    assert.equal(errorCondition(empty), 'bad-request');
    assert.equal(empty.getChild('error')!.attrs.type, 'modify');
    const bad = await juliet1.iq(blockIq('block', 'a@b@c'));
    assert.equal(errorCondition(bad), 'jid-malformed');
    const r = await juliet1.iq(getList());
    assert.deepEqual(listed(r), [], 'nothing was blocked');
    await juliet2.inbox.none(pushOf('block'), 200);
  });

  it('blocks: pushes to both resources, sends unavailable to the contact, and filters both ways (§3.3)', async () => {
    const r = await juliet1.iq(blockIq('block', 'romeo@localhost'));
    assert.equal(r.attrs.type, 'result');
    for (const c of [juliet1, juliet2]) {
      const p = await c.inbox.next(pushOf('block'), 5000, 'block push');
      assert.deepEqual(pushItems(p, 'block'), ['romeo@localhost']);
      assert.equal(p.attrs.to, c.jid);
    }
    // Romeo had Juliet's presence: he sees both her resources go offline.
    await romeo.inbox.next(presenceFrom('juliet@localhost/balcony', 'unavailable'));
    await romeo.inbox.next(presenceFrom('juliet@localhost/chamber', 'unavailable'));
    assert.deepEqual(listed(await juliet2.iq(getList())), ['romeo@localhost']);

    // Outbound: not-acceptable with <blocked/>.
    const sent = xml('message', { to: 'romeo@localhost', type: 'chat', id: 'm1' }, xml('body', {}, 'wherefore'));
    await juliet1.send(sent);
    const err = await juliet1.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'm1');
    assert.equal(errorCondition(err), 'not-acceptable');
    assert.equal(err.getChild('error')!.attrs.type, 'cancel');
    assert.ok(err.getChild('error')!.getChild('blocked', NS_ERR), 'carries <blocked/>');
    const iqOut = await juliet1.iq(xml('iq', { type: 'get', to: romeo.jid }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(errorCondition(iqOut), 'not-acceptable');
    await romeo.inbox.none(isMsg('wherefore'), 200);

    // Inbound: presence dropped, message and IQ get service-unavailable; Juliet sees nothing.
    await romeo.send(xml('presence', {}, xml('status', {}, 'hello again')));
    await romeo.send(xml('message', { to: 'juliet@localhost', type: 'chat', id: 'm2' }, xml('body', {}, 'it is the east')));
    const bounced = await romeo.inbox.next((el) => el.name === 'message' && el.attrs.id === 'm2');
    assert.equal(errorCondition(bounced), 'service-unavailable');
    assert.equal(bounced.getChild('error')!.getChild('blocked', NS_ERR), undefined, 'the blocked side is not told it is blocked');
    const iqIn = await romeo.iq(xml('iq', { type: 'get', to: juliet1.jid }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(errorCondition(iqIn), 'service-unavailable');
    // Probes go unanswered.
    await romeo.send(xml('presence', { to: 'juliet@localhost', type: 'probe' }));
    await romeo.inbox.none((el) => el.name === 'presence' && (el.attrs.from as string).startsWith('juliet@'), 300);
    for (const c of [juliet1, juliet2]) await c.inbox.none((el) => (el.attrs.from as string | undefined)?.startsWith('romeo@') ?? false, 0);
    // Juliet's own presence broadcast no longer reaches him.
    await juliet1.send(xml('presence', {}, xml('status', {}, 'on the balcony')));
    await juliet2.inbox.next((el) => el.name === 'presence' && el.getChildText('status') === 'on the balcony');
    await romeo.inbox.none((el) => el.name === 'presence' && el.getChildText('status') === 'on the balcony', 300);
  });

  it('a blocked sender learns nothing: the same error as for an account that does not exist', async () => {
    await romeo.send(xml('message', { to: 'juliet@localhost', type: 'chat', id: 'b1' }, xml('body', {}, 'x')));
    await romeo.send(xml('message', { to: 'nobody-here@localhost', type: 'chat', id: 'b2' }, xml('body', {}, 'x')));
    const a = await romeo.inbox.next((el) => el.attrs.id === 'b1');
    const b = await romeo.inbox.next((el) => el.attrs.id === 'b2');
    assert.equal(a.getChild('error')!.toString(), b.getChild('error')!.toString());
    assert.equal(a.attrs.from, 'juliet@localhost');
  });

  it('domain items block everyone there; a full-JID item only that resource', async () => {
    await juliet1.iq(blockIq('block', 'nurse@localhost/elsewhere'));
    await nurse.send(xml('message', { to: 'juliet@localhost/balcony', type: 'chat' }, xml('body', {}, 'still allowed')));
    await juliet1.inbox.next(isMsg('still allowed'));
    await juliet1.iq(blockIq('unblock', 'nurse@localhost/elsewhere'));
    for (const c of [juliet1, juliet2]) await c.inbox.next((el) => pushOf('unblock')(el) && pushItems(el, 'unblock')[0] === 'nurse@localhost/elsewhere');
  });

  it('unblocks: pushes to both resources and sends current presence again (§3.4)', async () => {
    const r = await juliet2.iq(blockIq('unblock', 'romeo@localhost'));
    assert.equal(r.attrs.type, 'result');
    for (const c of [juliet1, juliet2]) {
      const p = await c.inbox.next(pushOf('unblock'), 5000, 'unblock push');
      assert.deepEqual(pushItems(p, 'unblock'), ['romeo@localhost']);
    }
    await romeo.inbox.next(presenceFrom('juliet@localhost/balcony'));
    await romeo.inbox.next(presenceFrom('juliet@localhost/chamber'));
    await romeo.send(xml('message', { to: 'juliet@localhost/balcony', type: 'chat' }, xml('body', {}, 'again')));
    await juliet1.inbox.next(isMsg('again'));
  });

  it('unblocks all with an empty <unblock/> (§3.5)', async () => {
    await juliet1.iq(blockIq('block', 'localhost', 'example.org'));
    await juliet1.inbox.next(pushOf('block'));
    await nurse.send(xml('message', { to: 'juliet@localhost', type: 'chat', id: 'd1' }, xml('body', {}, 'domain')));
    assert.equal(errorCondition(await nurse.inbox.next((el) => el.attrs.id === 'd1')), 'service-unavailable');
    // Juliet's own server stays reachable even with its domain blocked.
    const ping = await juliet1.iq(xml('iq', { type: 'get', to: server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(ping.attrs.type, 'result');
    const r = await juliet1.iq(xml('iq', { type: 'set' }, xml('unblock', { xmlns: NS })));
    assert.equal(r.attrs.type, 'result');
    for (const c of [juliet1, juliet2]) {
      const p = await c.inbox.next(pushOf('unblock'));
      assert.deepEqual(pushItems(p, 'unblock'), []);
    }
    assert.deepEqual(listed(await juliet1.iq(getList())), []);
  });

  it('keeps the list across a restart', async () => {
    await juliet1.iq(blockIq('block', 'nurse@localhost'));
    await Promise.all([juliet1, juliet2, romeo, nurse].map((c) => c.stop()));
    await server.restart();
    juliet1 = await connect(server, 'juliet', PASS, { resource: 'balcony' });
    juliet2 = await connect(server, 'juliet', PASS, { resource: 'chamber' });
    romeo = await connect(server, 'romeo', PASS, { resource: 'orchard' });
    nurse = await connect(server, 'nurse', PASS, { resource: 'kitchen' });
    assert.deepEqual(listed(await juliet1.iq(getList())), ['nurse@localhost']);
  });

  it('works with slixmpp (XEP-0191 plugin): block, list, unblock', async () => {
    await createUser(server, 'slixuser', PASS);
    const run = runSlixmpp('slix_blocking.py', server, { jid: 'slixuser@localhost', password: PASS, peer: 'romeo@localhost' });
    const code = await run.exited;
    assert.equal(code, 0, run.output());
    assert.match(run.output(), /blocked: \['romeo@localhost'\]/);
    assert.match(run.output(), /after unblock: \[\]/);
  });
});
