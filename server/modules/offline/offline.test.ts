import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Element } from '@xmpp/xml';
import { pino } from 'pino';
import { openEmbeddedStorage } from '../../../storage/embedded/provider.js';
import type { ArchiveStore, StorageProvider } from '../../../storage/types.js';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import { SessionRegistry } from '../../core/sessions.js';
import { xml } from '../../core/stanza.js';
import { KeyedSerial } from '../../core/serial.js';
import { createOffline, type Offline } from './service.js';
import { expireDeadline, forDelivery, NS_DELAY, NS_EXPIRE, stamped } from './stanza.js';
import { parseElement as parseStored } from '../../core/stanza.js';
import { connect, createUser, errorCondition, is, type TestClient } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { RecordingSession } from '../../../test/harness/in-process.js';

const DOMAIN = 'localhost';
const log = pino({ level: 'silent' });

type FakeSession = RecordingSession;

function session(username: string, resource: string, opts: { available?: boolean; priority?: number } = {}): FakeSession {
  const s = new RecordingSession(Jid.of(username, DOMAIN, resource), username);
  s.available = opts.available ?? true;
  s.priority = opts.priority ?? 0;
  return s;
}

const chat = (body: string) => xml('message', { from: 'romeo@localhost/orchard', to: 'juliet@localhost', type: 'chat' }, xml('body', {}, body));
const bodies = (els: Element[]) => els.map((e) => e.getChildText('body'));

/** What the message module does before delivering live. */
async function settle(offline: Offline, username: string): Promise<void> {
  for (let w = offline.whenSettled(username); w; w = offline.whenSettled(username)) await w;
}

describe('offline storage (XEP-0160)', () => {
  let dir: string;
  let storage: StorageProvider;
  let sessions: SessionRegistry;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tern-offline-'));
    storage = openEmbeddedStorage({ dir });
    sessions = new SessionRegistry();
  });
  afterEach(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  const make = (opts: { max?: number; archive?: ArchiveStore<string>; flushed?: () => Promise<void> } = {}): Offline => createOffline({
    archive: opts.archive ?? storage.archive<string>(DOMAIN, 'offline'),
    domain: DOMAIN, maxMessages: opts.max ?? 1000, sessions, log, now: () => Date.UTC(2024, 0, 2, 3, 4, 5, 6),
    ...(opts.flushed ? { flushed: opts.flushed } : {}),
  });
  const online = (s: FakeSession) => { sessions.bind(s.username!, s.jid!.resource, s); return s; };

  it('stores a stamped copy and leaves the caller\'s stanza alone', async () => {
    const offline = make();
    const original = chat('hello');
    const before = original.toString();
    await offline.store('juliet', original);
    assert.equal(original.toString(), before);
    assert.equal(await offline.count('juliet'), 1);
    const s = online(session('juliet', 'balcony'));
    await offline.deliver(s);
    assert.equal(s.got.length, 1);
    const delay = s.got[0]!.getChild('delay', NS_DELAY)!;
    assert.equal(delay.attrs.from, DOMAIN);
    assert.equal(delay.attrs.stamp, '2024-01-02T03:04:05.006Z');
    assert.equal(s.got[0]!.attrs.from, 'romeo@localhost/orchard');
    assert.equal(s.got[0]!.attrs.to, 'juliet@localhost');
  });

  it('refuses with resource-constraint once the quota is full', async () => {
    const offline = make({ max: 3 });
    for (let i = 0; i < 3; i++) await offline.store('juliet', chat(`m${i}`));
    await assert.rejects(offline.store('juliet', chat('m3')), (err: unknown) => err instanceof StanzaError && err.condition === 'resource-constraint' && err.type === 'wait');
    assert.equal(await offline.count('juliet'), 3);
    await offline.store('romeo', chat('other user'));
    // Delivery frees the quota.
    await offline.deliver(online(session('juliet', 'a')));
    await offline.store('juliet', chat('m4'));
    assert.equal(await offline.count('juliet'), 1);
  });

  it('delivers in stored order, in batches, exactly once, then deletes', async () => {
    const offline = make();
    const texts = Array.from({ length: 250 }, (_, i) => `m${i}`);
    for (const t of texts) await offline.store('juliet', chat(t));
    const s = online(session('juliet', 'a'));
    await offline.deliver(s);
    assert.deepEqual(bodies(s.got), texts);
    assert.equal(await offline.count('juliet'), 0);
    await offline.deliver(s);
    assert.equal(s.got.length, texts.length);
  });

  it('two resources coming online together: one gets everything, the other nothing', async () => {
    const offline = make();
    for (let i = 0; i < 20; i++) await offline.store('juliet', chat(`m${i}`));
    const a = online(session('juliet', 'a'));
    const b = online(session('juliet', 'b'));
    await Promise.all([offline.deliver(a), offline.deliver(b)]);
    assert.equal(a.got.length + b.got.length, 20);
    assert.ok(a.got.length === 0 || b.got.length === 0);
  });

  it('does not deliver to a negative-priority or unavailable session', async () => {
    const offline = make();
    await offline.store('juliet', chat('x'));
    const neg = online(session('juliet', 'n', { priority: -1 }));
    const silent = online(session('juliet', 's', { available: false }));
    await offline.deliver(neg);
    await offline.deliver(silent);
    assert.equal(neg.got.length + silent.got.length, 0);
    assert.equal(await offline.count('juliet'), 1);
    assert.equal(offline.whenSettled('juliet'), undefined, 'neither session takes bare-JID messages');
  });

  it('keeps what a session may not have received: closed before the write, or the delete failed', async () => {
    const offline = make({ flushed: async () => { s.close(); } });
    for (let i = 0; i < 3; i++) await offline.store('juliet', chat(`m${i}`));
    const s = online(session('juliet', 'a'));
    await offline.deliver(s);
    assert.equal(await offline.count('juliet'), 3, 'nothing deleted for a session that went away');

    const real = storage.archive<string>(DOMAIN, 'offline');
    const failingDelete: ArchiveStore<string> = { ...real, find: real.find.bind(real), count: real.count.bind(real), append: real.append.bind(real), users: real.users.bind(real), delete: async () => { throw new Error('disk gone'); } };
    const crashy = make({ archive: failingDelete });
    const t = online(session('juliet', 't'));
    await crashy.deliver(t);
    assert.deepEqual(bodies(t.got), ['m0', 'm1', 'm2']);
    // The next login gets them again: duplicates after a failure, never a loss.
    const again = make();
    const u = online(session('juliet', 'u'));
    await again.deliver(u);
    assert.deepEqual(bodies(u.got), ['m0', 'm1', 'm2']);
    assert.equal(await again.count('juliet'), 0);
  });

  it('storage failures become wait/internal-server-error', async () => {
    const real = storage.archive<string>(DOMAIN, 'offline');
    const broken: ArchiveStore<string> = { ...real, count: real.count.bind(real), find: real.find.bind(real), delete: real.delete.bind(real), users: real.users.bind(real), append: async () => { throw new Error('disk full'); } };
    const offline = make({ archive: broken });
    await assert.rejects(offline.store('juliet', chat('x')), (err: unknown) => err instanceof StanzaError && err.condition === 'internal-server-error' && err.type === 'wait');
  });

  it('whenSettled: busy while a store runs; an owed session gets the stored messages first', async () => {
    const real = storage.archive<string>(DOMAIN, 'offline');
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow: ArchiveStore<string> = { ...real, count: real.count.bind(real), find: real.find.bind(real), delete: real.delete.bind(real), users: real.users.bind(real), append: async (u, item) => { await gate; return real.append(u, item); } };
    const offline = make({ archive: slow });
    assert.equal(offline.whenSettled('juliet'), undefined);
    const storing = offline.store('juliet', chat('stored first'));
    const s = online(session('juliet', 'desk', { priority: 1 }));
    assert.ok(offline.whenSettled('juliet'), 'a store is under way');
    release();
    await storing;
    // The session is owed the stored message: settling delivers it before anything live.
    await settle(offline, 'juliet');
    assert.deepEqual(bodies(s.got), ['stored first']);
    assert.equal(offline.whenSettled('juliet'), undefined);
    // A new stored message (the session went unavailable meanwhile) makes it owed again.
    s.available = false;
    await offline.store('juliet', chat('second'));
    s.available = true;
    assert.ok(offline.whenSettled('juliet'));
    await settle(offline, 'juliet');
    assert.deepEqual(bodies(s.got), ['stored first', 'second']);
  });

  it('purges a deleted user\'s messages', async () => {
    const offline = make();
    await offline.store('juliet', chat('x'));
    await offline.purge('juliet');
    assert.equal(await offline.count('juliet'), 0);
  });

  it('stored text round-trips, escapes included; garbage does not parse', () => {
    const m = stamped(xml('message', { to: 'a@b', from: 'c@d/e' }, xml('body', {}, '<&> "quoted" é')), 'b', 0);
    const back = parseStored(m.toString())!;
    assert.equal(back.getChildText('body'), '<&> "quoted" é');
    assert.equal(back.getChild('delay', NS_DELAY)!.attrs.stamp, '1970-01-01T00:00:00.000Z');
    assert.equal(parseStored('<message><body>x</message>'), undefined);
    assert.equal(parseStored('<a/><b/>'), undefined);
  });
});

describe('offline lifetime, quotas and expiry (XEP-0160, XEP-0023, XEP-0079 §7)', () => {
  let dir: string;
  let storage: StorageProvider;
  let sessions: SessionRegistry;
  let clock: number;
  const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);
  const DAY = 86_400_000;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tern-offline-life-'));
    storage = openEmbeddedStorage({ dir });
    sessions = new SessionRegistry();
    clock = T0;
  });
  afterEach(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The amp service's contract, played by a recorder: rules are 'expire-at' values in attribute `amp-deadline`. */
  class FakeAmp {
    applied: Array<{ body: string | null; at: number; reportedAt?: number }> = [];
    deadline = (el: Element): number | undefined => (el.attrs['amp-deadline'] ? Number(el.attrs['amp-deadline']) : undefined);
    apply = (el: Element, at: number, reportedAt?: number): boolean => {
      this.applied.push({ body: el.getChildText('body'), at, ...(reportedAt === undefined ? {} : { reportedAt }) });
      const t = this.deadline(el);
      return t === undefined || at < t;
    };
  }

  const make = (opts: { maxAgeMs?: number; maxBytes?: number; amp?: FakeAmp } = {}): Offline => createOffline({
    archive: storage.archive<string>(DOMAIN, 'offline'),
    domain: DOMAIN, maxMessages: 1000, sessions, log, now: () => clock,
    ...(opts.maxAgeMs === undefined ? {} : { maxAgeMs: opts.maxAgeMs }),
    ...(opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes }),
    ...(opts.amp ? { amp: () => opts.amp as unknown as NonNullable<ReturnType<NonNullable<Parameters<typeof createOffline>[0]['amp']>>> } : {}),
  });
  const online = (username: string, resource: string) => {
    const s = session(username, resource);
    sessions.bind(username, resource, s);
    return s;
  };
  const expiring = (body: string, seconds: string) => xml('message', { from: 'romeo@localhost/orchard', to: 'juliet@localhost', type: 'chat' },
    xml('body', {}, body), xml('x', { xmlns: NS_EXPIRE, seconds }));

  it('max age: an old message is neither delivered nor kept; the sweep deletes it; 0 keeps forever', async () => {
    const offline = make({ maxAgeMs: 30 * DAY });
    await offline.store('juliet', chat('old'));
    clock += 10 * DAY;
    await offline.store('juliet', chat('recent'));
    clock += 21 * DAY; // 'old' is now 31 days old, 'recent' 21
    const s = online('juliet', 'a');
    await offline.deliver(s);
    assert.deepEqual(bodies(s.got), ['recent']);
    assert.equal(await offline.count('juliet'), 0, 'the expired one is deleted with the delivered batch');

    const forever = make({ maxAgeMs: 0 });
    await forever.store('romeo', chat('kept'));
    clock += 3650 * DAY;
    assert.equal(await forever.sweep(), 0);
    assert.equal(await forever.count('romeo'), 1);
  });

  it('the sweep deletes only what has expired, for every user', async () => {
    const offline = make({ maxAgeMs: DAY });
    await offline.store('juliet', chat('j1'));
    await offline.store('romeo', chat('r1'));
    clock += DAY / 2;
    await offline.store('juliet', chat('j2'));
    assert.equal(await offline.sweep(), 0);
    clock += DAY / 2; // j1 and r1 are exactly a day old: expired ("on or after")
    assert.equal(await offline.sweep(), 2);
    assert.equal(await offline.count('juliet'), 1);
    assert.equal(await offline.count('romeo'), 0);
    const s = online('juliet', 'a');
    await offline.deliver(s);
    assert.deepEqual(bodies(s.got), ['j2']);
  });

  it('byte quota: resource-constraint once the stored text would pass max_bytes; delivery and the sweep free it', async () => {
    const size = Buffer.byteLength(stamped(chat('x'.repeat(100)), DOMAIN, clock).toString());
    const offline = make({ maxBytes: size * 3, maxAgeMs: DAY });
    for (let i = 0; i < 3; i++) await offline.store('juliet', chat('x'.repeat(100)));
    await assert.rejects(offline.store('juliet', chat('x'.repeat(100))),
      (err: unknown) => err instanceof StanzaError && err.condition === 'resource-constraint' && err.type === 'wait');
    await offline.store('juliet', chat('')).then(() => assert.fail('a smaller one does not fit either'), () => {});
    await offline.store('romeo', chat('x'.repeat(100)));
    // A new Offline (a restart) counts the bytes already stored.
    const restarted = make({ maxBytes: size * 3, maxAgeMs: DAY });
    await assert.rejects(restarted.store('juliet', chat('x'.repeat(100))), /resource-constraint/);
    clock += DAY;
    assert.equal(await restarted.sweep(), 4);
    await restarted.store('juliet', chat('x'.repeat(100)));
    await restarted.deliver(online('juliet', 'a'));
    for (let i = 0; i < 3; i++) await restarted.store('juliet', chat('x'.repeat(100)));
    assert.equal(await restarted.count('juliet'), 3);
  });

  it('XEP-0023: a TTL past is dropped silently; a live one is delivered with the seconds left and no stored', async () => {
    const offline = make({ maxAgeMs: 30 * DAY });
    const original = expiring('short', '10');
    const before = original.toString();
    await offline.store('juliet', original);
    assert.equal(original.toString(), before, 'the caller\'s stanza is untouched');
    await offline.store('juliet', expiring('long', '3600'));
    await offline.store('juliet', expiring('not a number', 'soon'));
    assert.equal(await offline.store('juliet', expiring('zero', '0')), false, 'a TTL of 0 has run out already');
    clock += 10_000;
    assert.equal(await offline.sweep(), 1, 'the 10-second one');
    clock += 1_500;
    const s = online('juliet', 'a');
    await offline.deliver(s);
    assert.deepEqual(bodies(s.got), ['long', 'not a number']);
    const x = s.got[0]!.getChild('x', NS_EXPIRE)!;
    assert.equal(x.attrs.seconds, '3589', '3600 less the 11 whole seconds stored');
    assert.equal(x.attrs.stored, undefined);
    assert.equal(s.got[1]!.getChild('x', NS_EXPIRE)!.attrs.seconds, 'soon', 'an invalid TTL is left alone');
  });

  it('stored form: stored= is the storage time in Unix seconds; forDelivery and expireDeadline agree', () => {
    const el = stamped(expiring('b', '5'), DOMAIN, T0 + 999);
    const x = el.getChild('x', NS_EXPIRE)!;
    assert.equal(x.attrs.stored, String(Math.floor(T0 / 1000)));
    assert.equal(expireDeadline(el), T0 + 5000);
    assert.equal(forDelivery(el, T0 + 4999)!.getChild('x', NS_EXPIRE)!.attrs.seconds, '1');
    assert.equal(forDelivery(el, T0 + 5000), undefined);
  });

  it('AMP rules through the amp service: expiry time is the rule\'s; expired ones are reported, not delivered', async () => {
    const amp = new FakeAmp();
    const offline = make({ maxAgeMs: 30 * DAY, amp });
    const rule = (body: string, at: number) => xml('message', { from: 'romeo@localhost/orchard', to: 'juliet@localhost', type: 'chat', id: body, 'amp-deadline': String(at) }, xml('body', {}, body));
    await offline.store('juliet', rule('soon', T0 + 2000));
    await offline.store('juliet', rule('later', T0 + 60_000));
    await offline.store('juliet', rule('gone already', T0 - 1));
    assert.equal(await offline.count('juliet'), 2);
    assert.deepEqual(amp.applied, [{ body: 'gone already', at: T0, reportedAt: T0 }], 'reported at once, never stored');
    amp.applied = [];
    clock += 2000;
    assert.equal(await offline.sweep(), 1);
    assert.deepEqual(amp.applied, [{ body: 'soon', at: T0 + 2000, reportedAt: T0 }]);
    amp.applied = [];
    clock += 1000;
    const s = online('juliet', 'a');
    await offline.deliver(s);
    assert.deepEqual(bodies(s.got), ['later']);
    assert.deepEqual(amp.applied, [{ body: 'later', at: T0 + 3000, reportedAt: T0 }], 'rules are applied at delivery (notify ones fire then)');
  });

  it('a login after the expiry but before the sweep: not delivered, reported once', async () => {
    const amp = new FakeAmp();
    const offline = make({ amp });
    await offline.store('juliet', xml('message', { from: 'romeo@localhost/o', to: 'juliet@localhost', id: 'e1', 'amp-deadline': String(T0 + 1000) }, xml('body', {}, 'e1')));
    clock += 1500;
    const s = online('juliet', 'a');
    await offline.deliver(s);
    assert.equal(s.got.length, 0);
    assert.equal(amp.applied.length, 1);
    assert.equal(await offline.sweep(), 0, 'already gone');
    assert.equal(amp.applied.length, 1);
  });
});

describe('KeyedSerial', () => {
  it('runs one key\'s tasks in order, other keys alongside, and reports busy', async () => {
    const q = new KeyedSerial();
    const order: string[] = [];
    const step = (name: string, ms: number) => () => new Promise<void>((r) => setTimeout(() => { order.push(name); r(); }, ms));
    const a1 = q.run('a', step('a1', 30));
    const a2 = q.run('a', step('a2', 0));
    const b1 = q.run('b', step('b1', 5));
    assert.ok(q.busy('a'));
    await Promise.all([a1, a2, b1]);
    assert.deepEqual(order, ['b1', 'a1', 'a2']);
    await q.busy('a');
    assert.equal(q.busy('a'), undefined);
    await assert.rejects(q.run('a', async () => { throw new Error('boom'); }), /boom/);
    assert.equal(await q.run('a', async () => 7), 7, 'a failed task does not block the queue');
  });
});

describe('offline messages @e2e', function () {
  this.timeout(90_000);
  let server: TestServer;
  const clients: TestClient[] = [];
  const login = async (user: string, resource: string, opts: { presence?: boolean } = {}) => {
    const c = await connect(server, user, 'secret-pass', { resource, ...opts });
    clients.push(c);
    return c;
  };
  const logout = async (c: TestClient) => {
    clients.splice(clients.indexOf(c), 1);
    await c.stop();
  };
  const send = (from: TestClient, to: string, texts: string[]) =>
    Promise.all(texts.map((t) => from.send(xml('message', { to, type: 'chat' }, xml('body', {}, t)))));
  const receive = async (c: TestClient, n: number): Promise<Element[]> => {
    const got: Element[] = [];
    for (let i = 0; i < n; i++) got.push(await c.inbox.next(is.chat(), 10_000, `message ${i} of ${n}`));
    return got;
  };

  before(async () => {
    server = await startServer();
    for (const u of ['sender', 'sue', 'tom', 'una', 'vic', 'wes']) await createUser(server, u);
  });
  afterEach(async () => { await Promise.all(clients.splice(0).map((c) => c.stop())); });
  after(async () => { await server?.cleanup(); });

  it('50 messages wait for the next login and arrive in order, stamped, once; msgoffline is advertised', async () => {
    const sender = await login('sender', 's');
    const info = await sender.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')?.getChildren('feature').some((f) => f.attrs.var === 'msgoffline'), 'disco#info lists msgoffline (XEP-0160 §4)');
    const texts = Array.from({ length: 50 }, (_, i) => `offline ${i}`);
    const before = Date.now();
    await send(sender, 'sue@localhost', texts);
    await sync(sender);
    await sender.inbox.none((el) => el.attrs.type === 'error');

    const sue = await login('sue', 'phone');
    const got = await receive(sue, texts.length);
    assert.deepEqual(got.map((m) => m.getChildText('body')), texts);
    for (const m of got) {
      assert.equal(m.attrs.from, 'sender@localhost/s');
      const delay = m.getChild('delay', 'urn:xmpp:delay');
      assert.ok(delay, 'XEP-0203 delay');
      assert.equal(delay.attrs.from, 'localhost');
      assert.match(delay.attrs.stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.ok(Date.parse(delay.attrs.stamp) >= before - 1000);
    }
    await sue.inbox.none(is.chat(), 500);
    await logout(sue);
    const again = await login('sue', 'phone');
    await sync(again);
    await again.inbox.none(is.chat(), 500);
  });

  it('a connected resource without initial presence does not take messages: they wait for its presence', async () => {
    const sender = await login('sender', 's');
    const tom = await login('tom', 'quiet', { presence: false });
    await send(sender, 'tom@localhost', ['one', 'two']);
    await sync(sender);
    await tom.inbox.none(is.chat(), 300);
    await tom.send(xml('presence'));
    const got = await receive(tom, 2);
    assert.deepEqual(got.map((m) => m.getChildText('body')), ['one', 'two']);
    assert.ok(got.every((m) => m.getChild('delay', 'urn:xmpp:delay')));
  });

  it('messages sent while the recipient comes online are not overtaken by live ones', async () => {
    const sender = await login('sender', 's');
    // Several delivery batches, so the live messages below arrive while stored ones are going out.
    const stored = Array.from({ length: 300 }, (_, i) => `early ${i}`);
    await send(sender, 'una@localhost', stored);
    await sync(sender);
    let online = false;
    const comingOnline = login('una', 'u').then((c) => { online = true; return c; });
    const live: string[] = [];
    // A paced stream from before the login until after it.
    for (let i = 0, after = 0; after < 20 && i < 2000; i++) {
      live.push(`late ${i}`);
      await sender.send(xml('message', { to: 'una@localhost', type: 'chat' }, xml('body', {}, `late ${i}`)));
      if (online) after++;
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.ok(online, 'the login finished while messages were still coming');
    const una = await comingOnline;
    const got = await receive(una, stored.length + live.length);
    assert.deepEqual(got.map((m) => m.getChildText('body')), [...stored, ...live]);
    await una.inbox.none(is.chat(), 300);
  });

  it('two resources coming online at once share the stored messages without duplicates', async () => {
    const sender = await login('sender', 's');
    const texts = Array.from({ length: 40 }, (_, i) => `m${i}`);
    await send(sender, 'vic@localhost', texts);
    await sync(sender);
    const [a, b] = await Promise.all([login('vic', 'a'), login('vic', 'b')]);
    await new Promise((r) => setTimeout(r, 1000));
    const gotA = a.inbox.all().filter(is.chat()).map((m) => m.getChildText('body'));
    const gotB = b.inbox.all().filter(is.chat()).map((m) => m.getChildText('body'));
    assert.ok(gotA.length === 0 || gotB.length === 0, `one resource takes them all (a: ${gotA.length}, b: ${gotB.length})`);
    assert.deepEqual([...gotA, ...gotB], texts);
  });

  it('a deleted account takes its offline messages with it', async () => {
    const sender = await login('sender', 's');
    await send(sender, 'wes@localhost', ['before deletion']);
    await sync(sender);
    const wes = await login('wes', 'w', { presence: false });
    const removed = await wes.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
    assert.equal(removed.attrs.type, 'result', removed.toString());
    clients.splice(clients.indexOf(wes), 1);
    await wes.stop();
    await createUser(server, 'wes');
    const reborn = await login('wes', 'w');
    await sync(reborn);
    await reborn.inbox.none(is.chat(), 500);
  });
});

describe('offline quota @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  const clients: TestClient[] = [];

  before(async () => {
    server = await startServer({ config: { hosts: [{ domain: 'localhost', registration: 'open', offline: { max_messages: 3 } }] } });
    await createUser(server, 'sender');
    await createUser(server, 'full');
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await server?.cleanup();
  });

  it('the fourth message to a full queue gets resource-constraint; the three stored arrive', async () => {
    const sender = await connect(server, 'sender', 'secret-pass', { resource: 's' });
    clients.push(sender);
    for (let i = 0; i < 4; i++) await sender.send(xml('message', { to: 'full@localhost', type: 'chat', id: `q${i}` }, xml('body', {}, `q${i}`)));
    const err = await sender.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error');
    assert.equal(err.attrs.id, 'q3');
    assert.equal(errorCondition(err), 'resource-constraint');
    assert.equal(err.getChild('error')!.attrs.type, 'wait');
    await sync(sender);
    await sender.inbox.none((el) => el.attrs.type === 'error');
    const full = await connect(server, 'full', 'secret-pass', { resource: 'f' });
    clients.push(full);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push((await full.inbox.next(is.chat())).getChildText('body')!);
    assert.deepEqual(got, ['q0', 'q1', 'q2']);
  });
});

/** Resolves once the server has processed everything `c` sent before (it handles a session's stanzas in order). */
async function sync(c: TestClient): Promise<void> {
  await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}
