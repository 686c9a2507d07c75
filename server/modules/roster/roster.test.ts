/**
 * Roster management (RFC 6121 §2) against a real server with real clients: get, set, rename and
 * regroup with pushes to every interested resource, versioning (§2.6), removal (§2.5) and the
 * error cases of §2.3.3 and §2.5.3.
 */
import assert from 'node:assert/strict';
import pino from 'pino';
import { openTempStorage, RecordingSession, type TempStorage } from '../../../test/harness/in-process.js';
import { HookBus } from '../../core/events.js';
import { Host } from '../../core/host.js';
import { Jid } from '../../core/jid.js';
import { ServiceRegistry } from '../../core/module.js';
import { Router } from '../../core/router.js';
import { connect, createUser, type Element, errorCondition, is, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import rosterModule from './index.js';

const ROSTER = 'jabber:iq:roster';
const PASSWORD = 'secret-pass';

const rosterGet = (ver?: string) => xml('iq', { type: 'get' }, xml('query', ver === undefined ? { xmlns: ROSTER } : { xmlns: ROSTER, ver }));
const rosterSet = (...items: Element[]) => xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, ...items));
const item = (jid: string, attrs: Record<string, string> = {}, ...groups: string[]) => xml('item', { jid, ...attrs }, ...groups.map((g) => xml('group', {}, g)));

function itemIn(el: Element, jid: string): Element | undefined {
  return el.getChild('query', ROSTER)?.getChildren('item').find((i) => i.attrs.jid === jid);
}

const pushFor = (jid: string, pred: (i: Element) => boolean = () => true) => (el: Element) => {
  if (!is.rosterPush()(el)) return false;
  const i = itemIn(el, jid);
  return i !== undefined && pred(i);
};

describe('roster (RFC 6121 §2) @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  const clients: TestClient[] = [];
  let n = 0;
  const user = async (prefix: string) => {
    const name = `${prefix}${++n}`;
    await createUser(server, name, PASSWORD);
    return name;
  };
  const login = async (name: string, resource: string, presence = true) => {
    const c = await connect(server, name, PASSWORD, { resource, presence });
    clients.push(c);
    return c;
  };

  before(async () => { server = await startServer(); });
  afterEach(async () => { await Promise.all(clients.splice(0).map((c) => c.stop())); });
  after(async () => { await server?.cleanup(); });

  it('gets an empty roster with a version, and an empty result when that version is current', async () => {
    const u = await user('empty');
    const c = await login(u, 'a');
    const r = await c.iq(rosterGet(''));
    assert.equal(r.attrs.type, 'result');
    const q = r.getChild('query', ROSTER);
    assert.ok(q, 'a roster result carries the query');
    assert.equal(q.getChildren('item').length, 0);
    assert.ok(q.attrs.ver !== undefined, 'the result names the roster version');
    const again = await c.iq(rosterGet(q.attrs.ver as string));
    assert.equal(again.attrs.type, 'result');
    assert.equal(again.getChild('query'), undefined, '§2.6.3: an up-to-date client gets an empty result');
  });

  it('adds, renames, regroups and removes items with pushes to every interested resource', async () => {
    const u = await user('owner');
    const contact = `${await user('friend')}@localhost`;
    const phone = await login(u, 'phone');
    const desk = await login(u, 'desk', false);
    const idle = await login(u, 'idle');
    await phone.iq(rosterGet());
    await desk.iq(rosterGet());

    const added = await phone.iq(rosterSet(item(contact, { name: 'Crazy-Girl' }, 'disco dancing')));
    assert.equal(added.attrs.type, 'result');
    for (const c of [phone, desk]) {
      const push = await c.inbox.next(pushFor(contact), 5000, `add push at ${c.jid}`);
      const i = itemIn(push, contact)!;
      assert.equal(i.attrs.name, 'Crazy-Girl');
      assert.equal(i.attrs.subscription, 'none');
      assert.deepEqual(i.getChildren('group').map((g) => g.text()), ['disco dancing']);
      assert.ok(push.getChild('query', ROSTER)!.attrs.ver, 'pushes carry the new version');
      assert.ok(!push.attrs.from || push.attrs.from === `${u}@localhost`, 'pushes come from the account itself');
    }

    // Seed 5.11: rename, then move to other groups.
    await phone.iq(rosterSet(item(contact, { name: 'Pretty-Girl' }, 'disco dancing')));
    await desk.inbox.next(pushFor(contact, (i) => i.attrs.name === 'Pretty-Girl'), 5000, 'rename push');
    await desk.iq(rosterSet(item(contact, { name: 'Pretty-Girl' }, 'friends', 'dancers')));
    const regroup = await phone.inbox.next(pushFor(contact, (i) => i.getChildren('group').length === 2), 5000, 'regroup push');
    assert.deepEqual(itemIn(regroup, contact)!.getChildren('group').map((g) => g.text()).sort(), ['dancers', 'friends']);

    const roster = await desk.iq(rosterGet());
    const stored = itemIn(roster, contact)!;
    assert.equal(stored.attrs.name, 'Pretty-Girl');
    assert.deepEqual(stored.getChildren('group').map((g) => g.text()).sort(), ['dancers', 'friends']);

    // Without groups, the item leaves every group (§2.4.1); without a name, it has none.
    await phone.iq(rosterSet(item(contact)));
    const plain = await desk.inbox.next(pushFor(contact, (i) => i.getChildren('group').length === 0), 5000, 'ungrouped push');
    assert.equal(itemIn(plain, contact)!.attrs.name, undefined);

    const removed = await desk.iq(rosterSet(item(contact, { subscription: 'remove' })));
    assert.equal(removed.attrs.type, 'result');
    for (const c of [phone, desk]) await c.inbox.next(pushFor(contact, (i) => i.attrs.subscription === 'remove'), 5000, `remove push at ${c.jid}`);
    assert.equal(itemIn(await phone.iq(rosterGet()), contact), undefined);

    // A resource that never asked for the roster is not interested (§2.1.6).
    await idle.inbox.none((el) => is.rosterPush()(el), 200);
  });

  it('versions: a stale version gets the whole roster, the current one nothing, and pushes name the version', async () => {
    const u = await user('versioned');
    const a = `${await user('va')}@localhost`;
    const b = `${await user('vb')}@localhost`;
    const c = await login(u, 'x');
    const v0 = (await c.iq(rosterGet(''))).getChild('query')!.attrs.ver as string;
    await c.iq(rosterSet(item(a, { name: 'A' })));
    const push = await c.inbox.next(pushFor(a), 5000, 'push');
    const v1 = push.getChild('query')!.attrs.ver as string;
    assert.notEqual(v1, v0);
    await c.iq(rosterSet(item(b, { name: 'B' })));
    const v2 = (await c.inbox.next(pushFor(b), 5000, 'push')).getChild('query')!.attrs.ver as string;
    assert.notEqual(v2, v1);

    const stale = await c.iq(rosterGet(v1));
    const q = stale.getChild('query', ROSTER)!;
    assert.equal(q.attrs.ver, v2);
    assert.deepEqual(q.getChildren('item').map((i) => i.attrs.jid).sort(), [a, b].sort());
    assert.equal((await c.iq(rosterGet(v2))).getChild('query'), undefined);
    // A client that does not version still gets everything.
    assert.equal((await c.iq(rosterGet())).getChild('query', ROSTER)!.getChildren('item').length, 2);
    // An unchanged set changes nothing, so the version stays.
    await c.iq(rosterSet(item(b, { name: 'B' })));
    assert.equal((await c.iq(rosterGet(v2))).getChild('query'), undefined);
  });

  it('rejects what §2.3.3 and §2.5.3 forbid', async () => {
    const u = await user('strict');
    const other = await user('neighbour');
    const c = await login(u, 'x');
    const two = await c.iq(rosterSet(item('a@localhost'), item('b@localhost')));
    assert.equal(errorCondition(two), 'bad-request', 'more than one item');
    assert.equal(errorCondition(await c.iq(rosterSet())), 'bad-request', 'no item');
    assert.equal(errorCondition(await c.iq(rosterSet(item('a@localhost', {}, 'g', 'g')))), 'bad-request', 'duplicate group');
    assert.equal(errorCondition(await c.iq(rosterSet(item('a@localhost', {}, '')))), 'not-acceptable', 'empty group');
    assert.equal(errorCondition(await c.iq(rosterSet(item('a@localhost', { name: 'x'.repeat(2000) })))), 'not-acceptable', 'name too long');
    assert.equal(errorCondition(await c.iq(rosterSet(item('a@localhost', {}, 'g'.repeat(2000))))), 'not-acceptable', 'group too long');
    assert.equal(errorCondition(await c.iq(rosterSet(xml('item', { name: 'nobody' })))), 'bad-request', 'no jid');
    assert.equal(errorCondition(await c.iq(rosterSet(item('a@localhost/res')))), 'bad-request', 'full JID');
    assert.equal(errorCondition(await c.iq(rosterSet(item('not@valid@jid')))), 'jid-malformed');
    assert.equal(errorCondition(await c.iq(rosterSet(item('absent@localhost', { subscription: 'remove' })))), 'item-not-found');
    const foreign = xml('iq', { type: 'set', to: `${other}@localhost` }, xml('query', { xmlns: ROSTER }, item('a@localhost')));
    assert.equal(errorCondition(await c.iq(foreign)), 'forbidden', "another user's roster");
    assert.equal(errorCondition(await c.iq(xml('iq', { type: 'get', to: `${other}@localhost` }, xml('query', { xmlns: ROSTER })))), 'forbidden');
    assert.equal((await c.iq(rosterGet())).getChild('query')!.getChildren('item').length, 0, 'nothing was stored');
  });

  it('ignores subscription, ask and approved in a set (§2.1.2), and allows the own JID', async () => {
    const u = await user('ignorer');
    const c = await login(u, 'x');
    await c.iq(rosterGet());
    const r = await c.iq(rosterSet(item('someone@localhost', { subscription: 'both', ask: 'subscribe', approved: 'true' })));
    assert.equal(r.attrs.type, 'result');
    const push = await c.inbox.next(pushFor('someone@localhost'), 5000, 'push');
    const i = itemIn(push, 'someone@localhost')!;
    assert.equal(i.attrs.subscription, 'none');
    assert.equal(i.attrs.ask, undefined);
    assert.equal(i.attrs.approved, undefined);
    const self = await c.iq(rosterSet(item(`${u}@localhost`, { name: 'me' })));
    assert.equal(self.attrs.type, 'result', 'nothing in RFC 6121 forbids the own bare JID');
  });

  it("answers a roster IQ addressed to the account's own bare JID like one with no 'to'", async () => {
    const u = await user('addressed');
    const c = await login(u, 'x');
    const get = rosterGet();
    get.attrs.to = `${u}@localhost`;
    const r = await c.iq(get);
    assert.equal(r.attrs.type, 'result');
    assert.ok(r.getChild('query', ROSTER));
  });

  it('keeps the roster across a restart', async () => {
    const u = await user('durable');
    let c = await login(u, 'x');
    await c.iq(rosterSet(item('kept@localhost', { name: 'Kept' }, 'G')));
    const ver = (await c.iq(rosterGet())).getChild('query')!.attrs.ver as string;
    await Promise.all(clients.splice(0).map((x) => x.stop()));
    await server.restart();
    c = await login(u, 'x');
    assert.equal((await c.iq(rosterGet(ver))).getChild('query'), undefined, 'the version survives the restart');
    const i = itemIn(await c.iq(rosterGet()), 'kept@localhost')!;
    assert.equal(i.attrs.name, 'Kept');
    assert.equal(i.getChildText('group'), 'G');
  });
});

// ---------------------------------------------------------------------------------------------
// In process: the core router and host with this module alone (no presence module, so removals
// send unsubscribe/unsubscribed themselves), the real embedded store in a temporary directory and recording sessions.
// ---------------------------------------------------------------------------------------------

describe('roster in process (core router, embedded storage)', () => {
  let host: Host;
  let router: Router;
  let ids = 0;
  let temp: TempStorage;
  /** Everything the module routed elsewhere (presence stanzas on removal). */
  let routed: Element[];

  const login = (username: string, resource: string) => {
    const s = new RecordingSession(Jid.of(username, 'localhost', resource), username);
    host.sessions.bind(username, resource, s);
    return s;
  };
  const iq = async (s: RecordingSession, type: 'get' | 'set', ...children: Element[]): Promise<Element> => {
    const id = `q${ids++}`;
    await router.process(s, xml('iq', { type, id, to: s.jid.bareString }, xml('query', { xmlns: ROSTER }, ...children)));
    const i = s.got.findIndex((r) => r.name === 'iq' && r.attrs.id === id);
    assert.ok(i >= 0, `no reply to ${id}`);
    return s.got.splice(i, 1)[0]!;
  };

  beforeEach(async () => {
    const log = pino({ level: 'silent' });
    const global = new HookBus();
    router = new Router(global, log);
    temp = openTempStorage();
    host = new Host('localhost', {} as never, {} as never, router, global, new ServiceRegistry(), temp.storage, log);
    router.addHost(host);
    routed = [];
    global.on('route/remote', () => undefined);
    await host.loadModules([rosterModule]);
    host.bus.on('presence/bare', ({ stanza }) => { routed.push(stanza); return undefined; });
  });
  afterEach(async () => {
    await host.unloadAll();
    await temp.cleanup();
  });

  it('pushes only to interested resources and versions every change', async () => {
    const a = login('u', 'a');
    const b = login('u', 'b');
    const idle = login('u', 'idle');
    const v0 = (await iq(a, 'get')).getChild('query')!.attrs.ver as string;
    assert.equal(v0, '0', 'a roster never written');
    assert.equal(a.rosterInterested, true);
    await iq(b, 'get');
    assert.equal((await iq(a, 'set', item('x@localhost', { name: 'X' }, 'G'))).attrs.type, 'result');
    for (const s of [a, b]) {
      const push = s.got.find(is.rosterPush())!;
      assert.ok(push, `push at ${s.jid}`);
      assert.equal(push.attrs.from, 'u@localhost');
      assert.equal(push.attrs.to, s.jid.toString());
    }
    assert.equal(idle.got.length, 0);
    const v1 = (await iq(a, 'get')).getChild('query')!.attrs.ver as string;
    assert.notEqual(v1, v0);
    assert.equal((await iq(a, 'get')).getChild('query')!.getChildren('item').length, 1);
    const current = xml('iq', { type: 'get', id: 'cur', to: 'u@localhost' }, xml('query', { xmlns: ROSTER, ver: v1 }));
    await router.process(a, current);
    assert.equal(a.got.at(-1)!.getChild('query'), undefined, 'an up-to-date client gets an empty result');
  });

  it('answers §2.3.3 violations with the RFC conditions, and storage failures with wait', async () => {
    const a = login('u', 'a');
    assert.equal(errorCondition(await iq(a, 'set', item('x@localhost'), item('y@localhost'))), 'bad-request');
    assert.equal(errorCondition(await iq(a, 'set', item('x@localhost', {}, 'g', 'g'))), 'bad-request');
    assert.equal(errorCondition(await iq(a, 'set', item('x@localhost', {}, ''))), 'not-acceptable');
    assert.equal(errorCondition(await iq(a, 'set', item('x@localhost', { name: 'n'.repeat(1024) }))), 'not-acceptable');
    assert.equal(errorCondition(await iq(a, 'set', item('x@localhost/r'))), 'bad-request');
    assert.equal(errorCondition(await iq(a, 'set', item('x@localhost', { subscription: 'remove' }))), 'item-not-found');
    temp.failWrites.on = true;
    const failed = await iq(a, 'set', item('x@localhost'));
    assert.equal(errorCondition(failed), 'internal-server-error');
    assert.equal(failed.getChild('error')!.attrs.type, 'wait');
    temp.failWrites.on = false;
    assert.equal((await iq(a, 'get')).getChild('query')!.getChildren('item').length, 0, 'a failed write is not reported as stored');
  });

  it('without the presence module, a removal still ends the subscriptions (§2.5.2)', async () => {
    const a = login('u', 'a');
    const svc = host.services.get('roster');
    await svc.set('u', 'both@localhost', { jid: 'both@localhost', groups: [], subscription: 'both' });
    await svc.set('u', 'from@localhost', { jid: 'from@localhost', groups: [], subscription: 'from' });
    await iq(a, 'set', item('both@localhost', { subscription: 'remove' }));
    await iq(a, 'set', item('from@localhost', { subscription: 'remove' }));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(routed.map((p) => `${p.attrs.to} ${p.attrs.type}`).sort(),
      ['both@localhost unsubscribe', 'both@localhost unsubscribed', 'from@localhost unsubscribed']);
    assert.ok(routed.every((p) => p.attrs.from === 'u@localhost'), 'from the bare JID');
  });
});
