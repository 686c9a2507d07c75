import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { HANDLED, type HookResult, type StanzaEvent } from '../../core/events.js';
import { Jid } from '../../core/jid.js';
import type { Services } from '../../core/module.js';
import { SessionRegistry } from '../../core/sessions.js';
import { xml } from '../../core/stanza.js';
import { createDelivery, type DeliveryDeps } from './delivery.js';
import { KnownAccounts } from './known-accounts.js';
import { bareTargets, messageType, offlineDecision } from './rules.js';
import { connect, createUser, errorCondition, is, type TestClient } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { RecordingSession } from '../../../test/harness/in-process.js';

const DOMAIN = 'localhost';

type FakeSession = RecordingSession;

function session(username: string, resource: string, opts: { available?: boolean; priority?: number } = {}): FakeSession {
  const s = new RecordingSession(Jid.of(username, DOMAIN, resource), username);
  s.available = opts.available ?? true;
  s.priority = opts.priority ?? 0;
  return s;
}

function message(to: string, attrs: Record<string, string> = {}, ...children: Element[]): StanzaEvent {
  const stanza = xml('message', { from: 'romeo@localhost/orchard', to, ...attrs }, ...(children.length ? children : [xml('body', {}, 'hi')]));
  return { stanza, kind: 'message', from: Jid.parse('romeo@localhost/orchard'), to: Jid.parse(to) };
}

class FakeOffline {
  stored: Array<{ username: string; stanza: Element }> = [];
  settle?: Promise<void>;
  async store(username: string, stanza: Element): Promise<void> { this.stored.push({ username, stanza }); }
  async count(username: string): Promise<number> { return this.stored.filter((s) => s.username === username).length; }
  whenSettled(): Promise<void> | undefined {
    const s = this.settle;
    this.settle = undefined;
    return s;
  }
}

interface Fixture {
  sessions: SessionRegistry;
  offline: FakeOffline;
  delivery: ReturnType<typeof createDelivery>;
  add(s: FakeSession): FakeSession;
}

function fixture(opts: { accounts?: string[]; offline?: boolean; asyncLookup?: boolean; delivered?: DeliveryDeps['delivered'] } = {}): Fixture {
  const sessions = new SessionRegistry();
  const offline = new FakeOffline();
  const accounts = new Set(opts.accounts ?? ['juliet', 'romeo']);
  const deps: DeliveryDeps = {
    sessions,
    accountExists: (u) => (opts.asyncLookup ? Promise.resolve(accounts.has(u)) : accounts.has(u)),
    offline: () => (opts.offline === false ? undefined : (offline as unknown as Services['offline'])),
    ...(opts.delivered ? { delivered: opts.delivered } : {}),
  };
  return {
    sessions, offline, delivery: createDelivery(deps),
    add: (s) => { sessions.bind(s.username!, s.jid!.resource, s); return s; },
  };
}

/** Runs a handler the way the router does: a thrown StanzaError is the reply's condition. */
async function run(fn: () => HookResult | Promise<HookResult>): Promise<HookResult | string> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StanzaError) return err.condition;
    throw err;
  }
}

describe('message rules (RFC 6121 §8.5)', () => {
  it('reads unknown or missing types as normal (§5.2.2)', () => {
    assert.equal(messageType(xml('message')), 'normal');
    assert.equal(messageType(xml('message', { type: 'bogus' })), 'normal');
    assert.equal(messageType(xml('message', { type: 'headline' })), 'headline');
  });

  it('chat and normal go to every resource sharing the highest non-negative priority', () => {
    const a = session('j', 'a', { priority: 5 });
    const b = session('j', 'b', { priority: 1 });
    const c = session('j', 'c', { priority: 5 });
    const neg = session('j', 'n', { priority: -1 });
    assert.deepEqual(bareTargets([a, b, neg], 'chat'), [a]);
    assert.deepEqual(bareTargets([a, b, c], 'normal'), [a, c]);
    assert.deepEqual(bareTargets([neg], 'chat'), []);
    assert.deepEqual(bareTargets([a, b, neg], 'headline'), [a, b]);
    assert.deepEqual(bareTargets([session('j', 'x', { available: false, priority: 9 })], 'chat'), [], 'a connected resource without presence is not available');
  });

  it('keeps chat states and empty messages out of storage, and honours <no-store/> (XEP-0160 §3, XEP-0334 §4.2)', () => {
    const states = xml('message', {}, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' }), xml('thread', {}, 't1'));
    assert.equal(offlineDecision(states), 'drop');
    assert.equal(offlineDecision(xml('message')), 'drop');
    assert.equal(offlineDecision(xml('message', {}, xml('body', {}, 'x'), xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' }))), 'store');
    assert.equal(offlineDecision(xml('message', {}, xml('received', { xmlns: 'urn:xmpp:receipts', id: '1' }))), 'store');
    assert.equal(offlineDecision(xml('message', {}, xml('body', {}, 'x'), xml('no-store', { xmlns: 'urn:xmpp:hints' }))), 'reject');
  });

  it('receipts and delivery rules: requests ride on content, acks are content (XEP-0184, XEP-0085 §5, XEP-0079)', () => {
    const receipts = 'urn:xmpp:receipts';
    const states = 'http://jabber.org/protocol/chatstates';
    // A request with nothing to acknowledge, alone or with a chat state: nothing for a reader later.
    assert.equal(offlineDecision(xml('message', { type: 'chat' }, xml('request', { xmlns: receipts }))), 'drop');
    assert.equal(offlineDecision(xml('message', { type: 'chat' }, xml('paused', { xmlns: states }), xml('request', { xmlns: receipts }))), 'drop');
    // Content with a request and a chat state is stored (intact: the store keeps the stanza as sent).
    assert.equal(offlineDecision(xml('message', { type: 'chat' }, xml('body', {}, 'hi'), xml('request', { xmlns: receipts }), xml('active', { xmlns: states }))), 'store');
    // A pure ack is stored: it is the sender's only news of delivery.
    assert.equal(offlineDecision(xml('message', { type: 'chat' }, xml('received', { xmlns: receipts, id: 'm1' }))), 'store');
    assert.equal(offlineDecision(xml('message', {}, xml('received', { xmlns: receipts, id: 'm1' }), xml('no-store', { xmlns: 'urn:xmpp:hints' }))), 'reject');
    // Delivery rules alone are no content.
    assert.equal(offlineDecision(xml('message', {}, xml('amp', { xmlns: 'http://jabber.org/protocol/amp' }, xml('rule', { condition: 'expire-at', action: 'drop', value: '2030-01-01T00:00:00Z' })))), 'drop');
    assert.equal(offlineDecision(xml('message', {}, xml('x', { xmlns: 'jabber:x:expire', seconds: '60' }))), 'drop');
    assert.equal(offlineDecision(xml('message', {}, xml('body', {}, 'x'), xml('x', { xmlns: 'jabber:x:expire', seconds: '60' }))), 'store');
    // Standalone chat states, with a thread as XEP-0085 §5 requires when threads are used.
    for (const st of ['active', 'composing', 'paused', 'inactive', 'gone']) {
      assert.equal(offlineDecision(xml('message', { type: 'chat' }, xml(st, { xmlns: states }), xml('thread', {}, 't'))), 'drop', st);
    }
  });

  it('known accounts: bounded, oldest out first', () => {
    const k = new KnownAccounts(2);
    k.add('a'); k.add('b'); k.add('c');
    assert.deepEqual([k.has('a'), k.has('b'), k.has('c')], [false, true, true]);
    k.delete('b');
    assert.equal(k.has('b'), false);
  });
});

describe('message delivery (RFC 6121 §8.5)', () => {
  it('bare chat: the highest priority resource gets it, the 0 and negative ones do not; "to" is not rewritten', async () => {
    const f = fixture();
    const high = f.add(session('juliet', 'desk', { priority: 10 }));
    const low = f.add(session('juliet', 'phone', { priority: 0 }));
    const neg = f.add(session('juliet', 'bot', { priority: -5 }));
    const ev = message('juliet@localhost', { type: 'chat' });
    assert.equal(await run(() => f.delivery.bare(ev)), HANDLED);
    assert.equal(high.got.length, 1);
    assert.equal(high.got[0]!.attrs.to, 'juliet@localhost');
    assert.equal(low.got.length + neg.got.length, 0);
  });

  it('bare headline: every non-negative resource; with none, silently dropped', async () => {
    const f = fixture();
    const a = f.add(session('juliet', 'a', { priority: 3 }));
    const b = f.add(session('juliet', 'b', { priority: 0 }));
    const neg = f.add(session('juliet', 'n', { priority: -1 }));
    assert.equal(await run(() => f.delivery.bare(message('juliet@localhost', { type: 'headline' }))), HANDLED);
    assert.deepEqual([a.got.length, b.got.length, neg.got.length], [1, 1, 0]);
    assert.equal(await run(() => f.delivery.bare(message('romeo@localhost', { type: 'headline' }))), HANDLED);
    assert.equal(f.offline.stored.length, 0);
  });

  it('only negative-priority or presence-less resources: chat and normal go to offline storage', async () => {
    const f = fixture();
    const neg = f.add(session('juliet', 'n', { priority: -1 }));
    const silent = f.add(session('juliet', 's', { available: false, priority: 5 }));
    assert.equal(await run(() => f.delivery.bare(message('juliet@localhost', { type: 'chat' }))), HANDLED);
    assert.equal(await run(() => f.delivery.bare(message('juliet@localhost'))), HANDLED);
    assert.equal(neg.got.length + silent.got.length, 0);
    assert.equal(f.offline.stored.length, 2);
  });

  it('groupchat to a bare JID is refused; errors are dropped', async () => {
    const f = fixture();
    const s = f.add(session('juliet', 'a', { priority: 1 }));
    assert.equal(await run(() => f.delivery.bare(message('juliet@localhost', { type: 'groupchat' }))), 'service-unavailable');
    assert.equal(await run(() => f.delivery.bare(message('romeo@localhost', { type: 'groupchat' }))), 'service-unavailable');
    assert.equal(await run(() => f.delivery.bare(message('juliet@localhost', { type: 'error' }))), HANDLED);
    assert.equal(s.got.length, 0);
  });

  it('no such account: service-unavailable for every type but error (§8.5.1)', async () => {
    const f = fixture({ asyncLookup: true });
    for (const type of ['chat', 'normal', 'headline']) {
      assert.equal(await run(() => f.delivery.bare(message('nobody@localhost', { type }))), 'service-unavailable', type);
    }
    assert.equal(await run(() => f.delivery.full(message('nobody@localhost/r', { type: 'chat' }))), 'service-unavailable');
    assert.equal(await run(() => f.delivery.bare(message('nobody@localhost', { type: 'error' }))), HANDLED);
    assert.equal(f.offline.stored.length, 0);
  });

  it('without the offline service, a message nobody can take is refused', async () => {
    const f = fixture({ offline: false });
    assert.equal(await run(() => f.delivery.bare(message('juliet@localhost', { type: 'chat' }))), 'service-unavailable');
  });

  it('chat states alone are dropped, <no-store/> is refused', async () => {
    const f = fixture();
    const composing = message('juliet@localhost', { type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' }));
    assert.equal(await run(() => f.delivery.bare(composing)), HANDLED);
    const noStore = message('juliet@localhost', { type: 'chat' }, xml('body', {}, 'x'), xml('no-store', { xmlns: 'urn:xmpp:hints' }));
    assert.equal(await run(() => f.delivery.bare(noStore)), 'service-unavailable');
    assert.equal(f.offline.stored.length, 0);
  });

  it('full JID: a connected resource gets any type, even before its presence (§8.5.3.1)', async () => {
    const f = fixture();
    const s = f.add(session('juliet', 'balcony', { available: false }));
    for (const type of ['chat', 'normal', 'headline', 'groupchat', 'error']) {
      assert.equal(await run(() => f.delivery.full(message('juliet@localhost/balcony', { type }))), HANDLED);
    }
    assert.equal(s.got.length, 5);
  });

  it('full JID with no such resource: chat as if bare, normal/headline/groupchat refused, error dropped (§8.5.3.2.1)', async () => {
    const f = fixture();
    const other = f.add(session('juliet', 'desk', { priority: 1 }));
    assert.equal(await run(() => f.delivery.full(message('juliet@localhost/gone', { type: 'chat' }))), HANDLED);
    assert.equal(other.got.length, 1);
    for (const type of ['normal', 'headline', 'groupchat']) {
      assert.equal(await run(() => f.delivery.full(message('juliet@localhost/gone', { type }))), 'service-unavailable', type);
    }
    assert.equal(await run(() => f.delivery.full(message('juliet@localhost/gone', { type: 'error' }))), HANDLED);
    assert.equal(other.got.length, 1);

    const g = fixture();
    assert.equal(await run(() => g.delivery.full(message('juliet@localhost/gone', { type: 'chat' }))), HANDLED);
    assert.equal(g.offline.stored.length, 1, 'no resource at all: the chat message is stored');
  });

  it('messages to the domain: error dropped, the rest service-unavailable', async () => {
    const f = fixture();
    assert.equal(await run(() => f.delivery.host(message('localhost', { type: 'error' }))), HANDLED);
    assert.equal(await run(() => f.delivery.host(message('localhost', { type: 'chat' }))), 'service-unavailable');
  });

  it('reports live deliveries, and only those, synchronously (for carbons)', async () => {
    const seen: string[][] = [];
    const f = fixture({ delivered: (_stanza, username, sessions) => { seen.push([username, ...sessions.map((s) => s.jid!.resource)]); } });
    f.add(session('juliet', 'a', { priority: 1 }));
    f.add(session('juliet', 'b', { priority: 1 }));
    assert.equal(f.delivery.bare(message('juliet@localhost', { type: 'chat' })), HANDLED);
    assert.equal(f.delivery.full(message('juliet@localhost/b', { type: 'chat' })), HANDLED);
    await run(() => f.delivery.bare(message('romeo@localhost', { type: 'chat' })));
    assert.deepEqual(seen, [['juliet', 'a', 'b'], ['juliet', 'b']], 'the stored message is not reported');
  });

  it('waits for the offline service to settle, then decides afresh', async () => {
    const f = fixture();
    let release!: () => void;
    f.offline.settle = new Promise<void>((r) => { release = r; });
    const ev = message('juliet@localhost', { type: 'chat' });
    const pending = run(() => f.delivery.bare(ev));
    // Juliet comes online while the earlier store is still under way: the message must go to her live.
    const s = f.add(session('juliet', 'desk', { priority: 1 }));
    assert.equal(s.got.length, 0);
    release();
    assert.equal(await pending, HANDLED);
    assert.equal(s.got.length, 1);
    assert.equal(f.offline.stored.length, 0);
  });
});

describe('message delivery @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  const clients: TestClient[] = [];
  const track = async (c: Promise<TestClient>) => { const cl = await c; clients.push(cl); return cl; };
  const login = (user: string, resource: string, opts: { presence?: boolean } = {}) => track(connect(server, user, 'secret-pass', { resource, ...opts }));

  before(async () => {
    server = await startServer();
    for (const u of ['alice', 'bob', 'juliet', 'romeo', 'carol', 'dave']) await createUser(server, u);
  });
  afterEach(async () => { await Promise.all(clients.splice(0).map((c) => c.stop())); });
  after(async () => { await server?.cleanup(); });

  it('5.13: two users chat both ways, with full JIDs as "from"', async () => {
    const alice = await login('alice', 'phone');
    const bob = await login('bob', 'laptop');
    await alice.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'm1' }, xml('body', {}, 'hi bob')));
    const m = await bob.inbox.next(is.chat('hi bob'));
    assert.equal(m.attrs.from, 'alice@localhost/phone');
    assert.equal(m.attrs.to, 'bob@localhost', 'the bare "to" is not rewritten (RFC 6121 §8.5.2.1.1)');
    assert.equal(m.attrs.id, 'm1');
    await bob.send(xml('message', { to: m.attrs.from, type: 'chat' }, xml('body', {}, 'hi alice')));
    assert.equal((await alice.inbox.next(is.chat('hi alice'))).attrs.from, 'bob@localhost/laptop');
  });

  it('bare JID: the highest priority resource gets chat; negative priority never gets it', async () => {
    const desk = await login('juliet', 'desk', { presence: false });
    const phone = await login('juliet', 'phone', { presence: false });
    await setPresence(desk, 5);
    await setPresence(phone, 1);
    const romeo = await login('romeo', 'orchard');
    await romeo.send(xml('message', { to: 'juliet@localhost', type: 'chat' }, xml('body', {}, 'to the desk')));
    await desk.inbox.next(is.chat('to the desk'));
    await setPresence(phone, 10);
    await romeo.send(xml('message', { to: 'juliet@localhost', type: 'chat' }, xml('body', {}, 'to the phone')));
    await phone.inbox.next(is.chat('to the phone'));
    await sync(romeo);
    await phone.inbox.none(is.chat('to the desk'), 100);
    await desk.inbox.none(is.chat('to the phone'), 100);
    // Same priority: both get it (our reading of "most available resource or resources").
    await setPresence(desk, 10);
    await romeo.send(xml('message', { to: 'juliet@localhost', type: 'chat' }, xml('body', {}, 'to both')));
    await desk.inbox.next(is.chat('to both'));
    await phone.inbox.next(is.chat('to both'));
    // Negative on the desk: only the phone, however high the desk was before.
    await setPresence(desk, -1);
    await romeo.send(xml('message', { to: 'juliet@localhost', type: 'chat' }, xml('body', {}, 'not the desk')));
    await phone.inbox.next(is.chat('not the desk'));
    await sync(romeo);
    await desk.inbox.none(is.chat('not the desk'));
    // Headline goes to every non-negative resource, never to the negative one.
    await setPresence(phone, 0);
    await romeo.send(xml('message', { to: 'juliet@localhost', type: 'headline' }, xml('body', {}, 'news')));
    await phone.inbox.next(is.chat('news'));
    await sync(romeo);
    await desk.inbox.none(is.chat('news'));
    await romeo.inbox.none((el) => el.attrs.type === 'error');
  });

  it('full JID: that resource, even at lower priority or without presence; a gone resource falls back for chat only', async () => {
    const high = await login('carol', 'high', { presence: false });
    const low = await login('carol', 'low', { presence: false });
    await setPresence(high, 5);
    await setPresence(low, 1);
    const silent = await login('carol', 'silent', { presence: false });
    const dave = await login('dave', 'd');
    await dave.send(xml('message', { to: 'carol@localhost/low', type: 'chat' }, xml('body', {}, 'for low')));
    await low.inbox.next(is.chat('for low'));
    await dave.send(xml('message', { to: 'carol@localhost/silent' }, xml('body', {}, 'for silent')));
    await silent.inbox.next(is.chat('for silent'));
    await dave.send(xml('message', { to: 'carol@localhost/gone', type: 'chat' }, xml('body', {}, 'fallback')));
    const fb = await high.inbox.next(is.chat('fallback'));
    assert.equal(fb.attrs.to, 'carol@localhost/gone');
    await dave.send(xml('message', { to: 'carol@localhost/gone', id: 'n1' }, xml('body', {}, 'normal to gone')));
    const err = await dave.inbox.next((el) => el.name === 'message' && el.attrs.id === 'n1');
    assert.equal(err.attrs.type, 'error');
    assert.equal(errorCondition(err), 'service-unavailable');
    assert.equal(err.attrs.from, 'carol@localhost/gone');
    await sync(dave);
    for (const c of [high, low, silent]) await c.inbox.none(is.chat('normal to gone'), 100);
  });

  it('no such user: service-unavailable back to the sender (MT-2); groupchat to a bare JID: the same', async () => {
    const alice = await login('alice', 'a');
    await alice.send(xml('message', { to: 'nobody@localhost', type: 'chat', id: 'x1' }, xml('body', {}, 'anyone?')));
    const err = await alice.inbox.next((el) => el.name === 'message' && el.attrs.id === 'x1');
    assert.equal(err.attrs.type, 'error');
    assert.equal(err.attrs.from, 'nobody@localhost');
    assert.equal(err.attrs.to, 'alice@localhost/a');
    assert.equal(errorCondition(err), 'service-unavailable');

    const bob = await login('bob', 'b');
    await alice.send(xml('message', { to: 'bob@localhost', type: 'groupchat', id: 'g1' }, xml('body', {}, 'room?')));
    const gerr = await alice.inbox.next((el) => el.name === 'message' && el.attrs.id === 'g1');
    assert.equal(errorCondition(gerr), 'service-unavailable');
    await sync(alice);
    await bob.inbox.none(is.chat('room?'));
    // Errors are never answered with errors.
    await alice.send(xml('message', { to: 'nobody@localhost', type: 'error', id: 'e1' }, xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }))));
    await sync(alice);
    await alice.inbox.none((el) => el.attrs.id === 'e1');
  });

  it('1,000 messages in a burst arrive complete and in order', async () => {
    const alice = await login('alice', 'burst');
    const bob = await login('bob', 'burst');
    const n = 1000;
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < n; i++) sends.push(alice.send(xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, `b${i}`))));
    await Promise.all(sends);
    const got: string[] = [];
    for (let i = 0; i < n; i++) got.push((await bob.inbox.next(is.chat(), 10_000, `burst message ${i}`)).getChildText('body')!);
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => `b${i}`));
    await bob.inbox.none(is.chat(), 200);
  });
});

async function setPresence(c: TestClient, priority: number): Promise<void> {
  await c.send(xml('presence', {}, xml('priority', {}, String(priority))));
  await sync(c);
}

/** Resolves once the server has processed everything `c` sent before (it handles a session's stanzas in order). */
async function sync(c: TestClient): Promise<void> {
  await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}
