/**
 * Subscriptions and presence (RFC 6121 §3, §4, Appendix A) against a real server with real
 * clients, plus the state tables themselves.
 */
import assert from 'node:assert/strict';
import { client } from '@xmpp/client';
import pino from 'pino';
import { HookBus } from '../../core/events.js';
import { Host } from '../../core/host.js';
import { Jid } from '../../core/jid.js';
import { type ModuleDefinition, ServiceRegistry } from '../../core/module.js';
import { Router } from '../../core/router.js';
import { connect, createUser, type Element, errorCondition, is, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { openTempStorage, RecordingSession } from '../../../test/harness/in-process.js';
import roster from '../roster/index.js';
import presenceModule from './index.js';
import { ALL_STATES, hasFrom, hasTo, INBOUND, OUTBOUND, partsOf, stateOf } from './states.js';

const ROSTER = 'jabber:iq:roster';
const PASSWORD = 'secret-pass';

function itemIn(el: Element, jid: string): Element | undefined {
  return el.getChild('query', ROSTER)?.getChildren('item').find((i) => i.attrs.jid === jid);
}

/** Appendix A's name for what a roster item shows (pending-in is not in the roster). */
function shown(i: Element | undefined): string {
  if (!i) return 'absent';
  const sub = i.attrs.subscription ?? 'none';
  return i.attrs.ask === 'subscribe' ? `${sub}+ask` : sub;
}

const pushFor = (jid: string, pred: (i: Element) => boolean = () => true) => (el: Element) => {
  if (!is.rosterPush()(el)) return false;
  const i = itemIn(el, jid);
  return i !== undefined && pred(i);
};
const pushShowing = (jid: string, state: string) => pushFor(jid, (i) => shown(i) === state);
const presence = (from: string, type?: string) => (el: Element) => el.name === 'presence' && el.attrs.from === from && el.attrs.type === type;
const send = (c: TestClient, to: string, type?: string, ...children: Element[]) => c.send(xml('presence', type ? { to, type } : { to }, ...children));

describe('subscription state tables (RFC 6121 Appendix A)', () => {
  it('maps every state to its parts and back', () => {
    for (const s of ALL_STATES) assert.equal(stateOf(partsOf(s)), s);
    assert.equal(ALL_STATES.length, 9);
  });

  it('never loses a subscription on subscribe or subscribed, nor gains one on unsubscribe or unsubscribed', () => {
    for (const s of ALL_STATES) {
      for (const next of [OUTBOUND.subscribe[s], OUTBOUND.subscribed[s], INBOUND.subscribe[s].next, INBOUND.subscribed[s].next]) {
        if (!next) continue;
        assert.ok(!hasTo(s) || hasTo(next), `${s} → ${next} loses 'to'`);
        assert.ok(!hasFrom(s) || hasFrom(next), `${s} → ${next} loses 'from'`);
      }
      for (const next of [OUTBOUND.unsubscribe[s], OUTBOUND.unsubscribed[s], INBOUND.unsubscribe[s].next, INBOUND.unsubscribed[s].next]) {
        if (!next) continue;
        assert.ok(hasTo(s) || !hasTo(next), `${s} → ${next} gains 'to'`);
        assert.ok(hasFrom(s) || !hasFrom(next), `${s} → ${next} gains 'from'`);
      }
    }
  });

  it('mirrors: what one side sends moves the other side as A.3 says', () => {
    // A user in state S toward a contact implies the contact is in the mirrored state toward the user.
    const mirror: Record<string, string> = {
      'None': 'None', 'None + Pending Out': 'None + Pending In', 'None + Pending In': 'None + Pending Out',
      'None + Pending Out+In': 'None + Pending Out+In', 'To': 'From', 'To + Pending In': 'From + Pending Out',
      'From': 'To', 'From + Pending Out': 'To + Pending In', 'Both': 'Both',
    };
    for (const type of ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed'] as const) {
      for (const s of ALL_STATES) {
        const mine = OUTBOUND[type][s];
        const theirs = INBOUND[type][mirror[s] as typeof s];
        // Where the sender's state moves, the recipient's moves to the mirror of it.
        if (mine && theirs.next) assert.equal(theirs.next, mirror[mine], `${type} from ${s}`);
        if (mine && type !== 'subscribe') assert.ok(theirs.next, `${type} from ${s}: the recipient should move too`);
      }
    }
  });
});

describe('presence and subscriptions (RFC 6121 §3–4) @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  const clients: TestClient[] = [];
  let n = 0;
  const user = async (prefix: string) => {
    const name = `${prefix}${++n}`;
    await createUser(server, name, PASSWORD);
    return name;
  };
  const login = async (name: string, resource: string, opts: { presence?: boolean; roster?: boolean } = {}) => {
    const c = await connect(server, name, PASSWORD, { resource, presence: false });
    clients.push(c);
    if (opts.roster !== false) await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
    if (opts.presence !== false) await c.send(xml('presence'));
    return c;
  };
  const logout = async (c: TestClient) => {
    clients.splice(clients.indexOf(c), 1);
    await c.stop();
  };
  const rosterItem = async (c: TestClient, jid: string) => itemIn(await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER }))), jid);

  /** Makes a and b subscribed both ways, both online; returns once both see 'both'. */
  const befriend = async (a: TestClient, b: TestClient) => {
    await send(a, b.bare, 'subscribe');
    await b.inbox.next(presence(a.bare, 'subscribe'), 5000, 'request');
    await send(b, a.bare, 'subscribed');
    await send(b, a.bare, 'subscribe');
    await a.inbox.next(presence(b.bare, 'subscribe'), 5000, 'request back');
    await send(a, b.bare, 'subscribed');
    await a.inbox.next(pushShowing(b.bare, 'both'), 5000, 'a: both');
    await b.inbox.next(pushShowing(a.bare, 'both'), 5000, 'b: both');
    a.inbox.clear();
    b.inbox.clear();
  };

  before(async () => { server = await startServer(); });
  afterEach(async () => { await Promise.all(clients.splice(0).map((c) => c.stop())); });
  after(async () => { await server?.cleanup(); });

  it('seed 5.1: a request to an offline contact waits, is redelivered until answered, then presence flows both ways', async () => {
    const bobName = await user('scubabob');
    const janName = await user('scubajan');
    const bobJid = `${bobName}@localhost`;
    const janJid = `${janName}@localhost`;
    const bob = await login(bobName, 'phone');
    await bob.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, xml('item', { jid: janJid, name: 'Jan' }, xml('group', {}, 'Divers')))));
    await send(bob, janJid, 'subscribe', xml('status', {}, 'Bob here, add me?'));
    const pending = await bob.inbox.next(pushShowing(janJid, 'none+ask'), 5000, 'A.2.1 None → None + Pending Out');
    assert.equal(itemIn(pending, janJid)!.attrs.name, 'Jan', 'the subscription keeps the name Bob gave');

    // Jan was offline: the request waits and comes at her initial presence, from Bob's bare JID.
    let jan = await login(janName, 'desk');
    const req = await jan.inbox.next(presence(bobJid, 'subscribe'), 5000, 'stored request');
    assert.equal(req.getChildText('status'), 'Bob here, add me?');
    assert.ok(req.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp, 'a stored request says when it was made');
    assert.equal(await rosterItem(jan, bobJid), undefined, 'A.1: no roster item for a request not yet approved');

    // §3.1.3: not answered, so it comes again at the next login.
    await logout(jan);
    jan = await login(janName, 'desk');
    await jan.inbox.next(presence(bobJid, 'subscribe'), 5000, 'redelivered request');

    // Jan approves and subscribes back.
    await send(jan, bobJid, 'subscribed');
    await jan.inbox.next(pushShowing(bobJid, 'from'), 5000, 'A.2.3 None + Pending In → From');
    await bob.inbox.next(pushShowing(janJid, 'to'), 5000, 'A.3.3 None + Pending Out → To');
    await bob.inbox.next(presence(janJid, 'subscribed'), 5000, 'the approval is delivered');
    await bob.inbox.next(presence(`${janJid}/desk`), 5000, "§3.1.5: Jan's current presence follows the approval");
    await send(jan, bobJid, 'subscribe');
    await jan.inbox.next(pushShowing(bobJid, 'from+ask'), 5000, 'A.2.1 From → From + Pending Out');
    await bob.inbox.next(presence(janJid, 'subscribe'), 5000, "Jan's request");
    await send(bob, janJid, 'subscribed');
    await bob.inbox.next(pushShowing(janJid, 'both'), 5000, 'A.2.3 To + Pending In → Both');
    await jan.inbox.next(pushShowing(bobJid, 'both'), 5000, 'A.3.3 From + Pending Out → Both');
    await jan.inbox.next(presence(`${bobJid}/phone`), 5000, "Bob's presence at Jan");

    // Presence now flows both ways.
    await bob.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'diving')));
    const away = await jan.inbox.next(presence(`${bobJid}/phone`), 5000, "Bob's new status");
    assert.equal(away.getChildText('show'), 'away');
    await jan.send(xml('presence', {}, xml('status', {}, 'at the pool')));
    assert.equal((await bob.inbox.next(presence(`${janJid}/desk`), 5000, "Jan's new status")).getChildText('status'), 'at the pool');

    // She goes away; he sees it. When she comes back, nothing is pending any more.
    await logout(jan);
    await bob.inbox.next(presence(`${janJid}/desk`, 'unavailable'), 5000, 'unavailable on disconnect');
    jan = await login(janName, 'desk');
    await bob.inbox.next(presence(`${janJid}/desk`), 5000, 'Jan back');
    await jan.inbox.next(presence(`${bobJid}/phone`), 5000, "§4.3: the probe brings Bob's presence");
    await jan.inbox.none((el) => el.name === 'presence' && el.attrs.type === 'subscribe', 300);
    assert.equal(shown(await rosterItem(bob, janJid)), 'both');
  });

  it('unsubscribe and cancellation move both rosters as Appendix A says', async () => {
    const a = await login(await user('ua'), 'r');
    const b = await login(await user('ub'), 'r');
    await befriend(a, b);

    // A.2.2 Both → From at the sender; A.3.2 Both → To at the contact, delivered, and the contact's presence is withdrawn.
    await send(a, b.bare, 'unsubscribe');
    await a.inbox.next(pushShowing(b.bare, 'from'), 5000, 'a: Both → From');
    await b.inbox.next(pushShowing(a.bare, 'to'), 5000, 'b: Both → To');
    await b.inbox.next(presence(a.bare, 'unsubscribe'), 5000, 'unsubscribe delivered');
    await a.inbox.next(presence(`${b.bare}/r`, 'unavailable'), 5000, '§3.3.3: unavailable from the contact');

    // A.2.4 From → None at the sender; A.3.4 To → None at the contact.
    await send(a, b.bare, 'unsubscribed');
    await a.inbox.next(pushShowing(b.bare, 'none'), 5000, 'a: From → None');
    await b.inbox.next(pushShowing(a.bare, 'none'), 5000, 'b: To → None');
    await b.inbox.next(presence(a.bare, 'unsubscribed'), 5000, 'cancellation delivered');
    await b.inbox.next(presence(`${a.bare}/r`, 'unavailable'), 5000, '§3.2.2: unavailable from the user');

    // No subscription left: presence no longer flows.
    await a.send(xml('presence', {}, xml('status', {}, 'secret')));
    await b.inbox.none((el) => el.name === 'presence' && el.attrs.from === `${a.bare}/r`, 300);
  });

  it('a request can be withdrawn before it is answered, and then is not redelivered', async () => {
    const c = await login(await user('asker'), 'r');
    const dName = await user('askee');
    let d = await login(dName, 'r');
    await send(c, d.bare, 'subscribe');
    await d.inbox.next(presence(c.bare, 'subscribe'), 5000, 'request');
    await c.inbox.next(pushShowing(d.bare, 'none+ask'), 5000, 'pending out');
    await send(c, d.bare, 'unsubscribe');
    await c.inbox.next(pushShowing(d.bare, 'none'), 5000, 'A.2.2 None + Pending Out → None');
    await d.inbox.next(presence(c.bare, 'unsubscribe'), 5000, 'A.3.2 None + Pending In: delivered');
    await logout(d);
    d = await login(dName, 'r');
    await d.inbox.none((el) => el.name === 'presence' && el.attrs.type === 'subscribe', 400);
  });

  it('a denied request leaves both at None', async () => {
    const e = await login(await user('denied'), 'r');
    const f = await login(await user('denier'), 'r');
    await send(e, f.bare, 'subscribe');
    await f.inbox.next(presence(e.bare, 'subscribe'), 5000, 'request');
    await send(f, e.bare, 'unsubscribed');
    await e.inbox.next(presence(f.bare, 'unsubscribed'), 5000, 'denial delivered');
    await e.inbox.next(pushShowing(f.bare, 'none'), 5000, 'A.3.4 None + Pending Out → None');
    assert.equal(await rosterItem(f, e.bare), undefined, 'the denier never had an item');
  });

  it('a request to a contact that is already subscribed is not shown to the contact (§3.1.3)', async () => {
    const a = await login(await user('again'), 'r');
    const b = await login(await user('alreadyfriend'), 'r');
    await befriend(a, b);
    await send(a, b.bare, 'subscribe');
    // The server answers "subscribed" for b; a's server, already at Both, has nothing to deliver (A.3.3).
    await b.inbox.none((el) => el.name === 'presence' && el.attrs.type === 'subscribe', 300);
    await a.inbox.none((el) => is.rosterPush()(el), 100);
    assert.equal(shown(await rosterItem(a, b.bare)), 'both');
    assert.equal(shown(await rosterItem(b, a.bare)), 'both');
  });

  it('pre-approval (§3.4): advertised, noted on the roster, used by the next request, withdrawable', async () => {
    // Stream features after authentication.
    const aName = await user('preapprover');
    const features: Element[] = [];
    const raw = client({ service: `xmpp://127.0.0.1:${server.port}`, domain: 'localhost', username: aName, password: PASSWORD, resource: 'f' });
    (raw as unknown as { reconnect: { stop(): void } }).reconnect.stop();
    raw.on('error', () => {});
    raw.on('element', (el: Element) => { if (el.name === 'stream:features') features.push(el); });
    await raw.start();
    await raw.stop().catch(() => undefined);
    const last = features.at(-1)!;
    assert.ok(last.getChild('sub', 'urn:xmpp:features:pre-approval'), 'pre-approval advertised');
    assert.ok(last.getChild('ver', 'urn:xmpp:features:rosterver'), 'roster versioning advertised');

    const a = await login(aName, 'r');
    const carol = await login(await user('carol'), 'r');
    await send(a, carol.bare, 'subscribed');
    const noted = await a.inbox.next(pushFor(carol.bare), 5000, 'pre-approval push');
    assert.equal(itemIn(noted, carol.bare)!.attrs.approved, 'true');
    assert.equal(shown(itemIn(noted, carol.bare)), 'none');
    await carol.inbox.none((el) => el.name === 'presence' && el.attrs.type === 'subscribed', 300);

    await send(carol, a.bare, 'subscribe');
    await carol.inbox.next(presence(a.bare, 'subscribed'), 5000, 'approved at once');
    await carol.inbox.next(pushShowing(a.bare, 'to'), 5000, 'carol: To');
    await carol.inbox.next(presence(`${a.bare}/r`), 5000, "the pre-approver's presence");
    const used = await a.inbox.next(pushShowing(carol.bare, 'from'), 5000, 'a: From');
    assert.equal(itemIn(used, carol.bare)!.attrs.approved, undefined, 'a pre-approval is used up');
    await a.inbox.none((el) => el.name === 'presence' && el.attrs.type === 'subscribe', 300);

    // Withdrawn with "unsubscribed", a pre-approval approves nothing.
    const dave = await login(await user('dave'), 'r');
    await send(a, dave.bare, 'subscribed');
    await a.inbox.next(pushFor(dave.bare, (i) => i.attrs.approved === 'true'), 5000, 'pre-approved');
    await send(a, dave.bare, 'unsubscribed');
    await a.inbox.next(pushFor(dave.bare, (i) => i.attrs.approved === undefined), 5000, 'withdrawn');
    await send(dave, a.bare, 'subscribe');
    await a.inbox.next(presence(dave.bare, 'subscribe'), 5000, 'asked as usual');
    await dave.inbox.none((el) => el.name === 'presence' && el.attrs.type === 'subscribed', 300);
  });

  it('directed presence reaches a non-contact, who is told when the sender goes', async () => {
    const g = await login(await user('director'), 'r');
    const h = await login(await user('target'), 'r');
    const i = await login(await user('other'), 'r');
    await send(g, h.bare);
    await h.inbox.next(presence(`${g.bare}/r`), 5000, 'directed presence');
    await send(g, `${i.bare}/r`, undefined, xml('status', {}, 'just you'));
    assert.equal((await i.inbox.next(presence(`${g.bare}/r`), 5000, 'directed to a full JID')).getChildText('status'), 'just you');
    await send(g, `${i.bare}/r`, 'unavailable');
    await i.inbox.next(presence(`${g.bare}/r`, 'unavailable'), 5000, 'directed unavailable');
    // Broadcasts are for subscribers only (§4.6.2).
    await g.send(xml('presence', {}, xml('show', {}, 'dnd')));
    await h.inbox.none((el) => el.name === 'presence' && el.attrs.from === `${g.bare}/r` && el.attrs.type === undefined, 300);
    await logout(g);
    await h.inbox.next(presence(`${g.bare}/r`, 'unavailable'), 5000, '§4.6.3: unavailable on disconnect');
    await i.inbox.none((el) => el.name === 'presence' && el.attrs.type === 'unavailable', 300);
  });

  it('probes: a subscriber learns the presence, or unavailability, of its contacts; others learn nothing', async () => {
    const jName = await user('probed');
    const kName = await user('prober');
    let j = await login(jName, 'r');
    let k = await login(kName, 'r');
    await befriend(j, k);
    await logout(k);
    await j.send(xml('presence', {}, xml('status', {}, 'here')));
    k = await login(kName, 'r');
    assert.equal((await k.inbox.next(presence(`${j.bare}/r`), 5000, 'probe answer')).getChildText('status'), 'here');
    await logout(j);
    await k.inbox.next(presence(`${j.bare}/r`, 'unavailable'), 5000, 'gone');
    await logout(k);
    k = await login(kName, 'r');
    await k.inbox.next(presence(j.bare, 'unavailable'), 5000, 'probe answer for a contact with no resource');

    // A stranger's probe reveals nothing.
    j = await login(jName, 'r');
    const l = await login(await user('stranger'), 'r');
    await l.send(xml('presence', { to: j.bare, type: 'probe' }));
    await l.inbox.none((el) => el.name === 'presence' && el.attrs.from?.startsWith(j.bare) && el.attrs.type !== 'unsubscribed', 400);
  });

  it("an account's resources see each other's presence, priority included; a bad priority is refused", async () => {
    const name = await user('multi');
    const a = await login(name, 'a', { presence: false });
    await a.send(xml('presence', {}, xml('priority', {}, '5')));
    assert.equal((await a.inbox.next(presence(`${a.bare}/a`), 5000, 'own presence back')).getChildText('priority'), '5');
    const b = await login(name, 'b', { presence: false });
    await b.send(xml('presence', {}, xml('priority', {}, '-1')));
    assert.equal((await a.inbox.next(presence(`${a.bare}/b`), 5000, "b's presence at a")).getChildText('priority'), '-1');
    assert.equal((await b.inbox.next(presence(`${a.bare}/a`), 5000, "a's presence at b")).getChildText('priority'), '5');
    await b.inbox.next(presence(`${a.bare}/b`), 5000, 'b sees itself');

    await b.send(xml('presence', { id: 'bad' }, xml('priority', {}, '200')));
    const err = await b.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'error' && el.attrs.id === 'bad', 5000, 'error');
    assert.equal(errorCondition(err), 'bad-request');

    await logout(b);
    await a.inbox.next(presence(`${a.bare}/b`, 'unavailable'), 5000, "b's unavailable at a");
  });

  it('presence to an account with no available resource is dropped; subscription requests are kept', async () => {
    const s = await login(await user('sender'), 'r');
    const offName = await user('offline');
    const quiet = await login(offName, 'quiet', { presence: false });
    await send(s, `${offName}@localhost`);
    await send(s, `${offName}@localhost`, 'subscribe');
    await quiet.inbox.none((el) => el.name === 'presence', 300);
    const on = await login(offName, 'on');
    await on.inbox.next(presence(s.bare, 'subscribe'), 5000, 'the request is kept');
    await on.inbox.none((el) => el.name === 'presence' && el.attrs.from === `${s.bare}/r`, 200);
  });

  it('removing a contact from the roster ends both subscriptions (§2.5.2)', async () => {
    const a = await login(await user('remover'), 'r');
    const b = await login(await user('removed'), 'r');
    await befriend(a, b);
    await a.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, xml('item', { jid: b.bare, subscription: 'remove' }))));
    await a.inbox.next(pushFor(b.bare, (i) => i.attrs.subscription === 'remove'), 5000, 'remove push');
    await b.inbox.next(presence(a.bare, 'unsubscribe'), 5000, 'unsubscribe');
    await b.inbox.next(presence(a.bare, 'unsubscribed'), 5000, 'unsubscribed');
    await b.inbox.next(presence(`${a.bare}/r`, 'unavailable'), 5000, 'unavailable');
    await b.inbox.next(pushShowing(a.bare, 'none'), 5000, 'b: Both → None');
  });

  it('a request to an account that does not exist is answered "unsubscribed"', async () => {
    const a = await login(await user('lonely'), 'r');
    await send(a, 'nosuchuser@localhost', 'subscribe');
    await a.inbox.next(presence('nosuchuser@localhost', 'unsubscribed'), 5000, 'unsubscribed');
    await a.inbox.next(pushShowing('nosuchuser@localhost', 'none'), 5000, 'A.3.4 None + Pending Out → None');
  });
});

// ---------------------------------------------------------------------------------------------
// In process: the core router and host with these modules as the server loads them, an in-memory
// map store and fake sessions. Fast, and independent of the rest of the server being built.
// ---------------------------------------------------------------------------------------------

async function inProcess(modules: ModuleDefinition<any, any>[], accounts?: Set<string>) {
  const log = pino({ level: 'silent' });
  const global = new HookBus();
  const router = new Router(global, log);
  const services = new ServiceRegistry();
  if (accounts) services.provide('accounts', { exists: async (u: string) => accounts.has(u) } as never);
  const temp = openTempStorage();
  const host = new Host('localhost', {} as never, {} as never, router, global, services, temp.storage, log);
  router.addHost(host);
  await host.loadModules(modules);
  let ids = 0;
  const settle = () => new Promise((r) => setImmediate(r));
  const f = {
    host,
    cleanup: async () => { await host.unloadAll(); await temp.cleanup(); },
    async login(username: string, resource: string, opts: { presence?: boolean; roster?: boolean } = {}): Promise<RecordingSession> {
      accounts?.add(username);
      const s = new RecordingSession(Jid.of(username, 'localhost', resource), username);
      host.sessions.bind(username, resource, s);
      if (opts.roster !== false) await f.iq(s, xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
      if (opts.presence !== false) await f.send(s, xml('presence'));
      return s;
    },
    async logout(s: RecordingSession): Promise<void> {
      s.closed = true;
      host.sessions.unbind(s);
      await host.bus.notify('session/closed', { session: s, reason: 'test' });
      await settle();
    },
    async send(s: RecordingSession, el: Element): Promise<void> {
      await router.process(s, el);
      await settle();
    },
    /** Addressed to the account, so that the result has a 'from' to route by. */
    async iq(s: RecordingSession, el: Element): Promise<Element> {
      el.attrs.id = `iq${ids++}`;
      el.attrs.to ??= s.jid.bareString;
      await f.send(s, el);
      return s.take((r) => r.name === 'iq' && r.attrs.id === el.attrs.id, `reply to ${el.attrs.id}`);
    },
  };
  return f;
}

type Fixture = Awaited<ReturnType<typeof inProcess>>;
const isPush = (jid: string, state?: string) => (el: Element) => is.rosterPush()(el) && itemIn(el, jid) !== undefined && (state === undefined || shown(itemIn(el, jid)) === state);

describe('presence and subscriptions in process (core router, embedded storage)', () => {
  let f: Fixture;
  let accounts: Set<string>;
  beforeEach(async () => {
    accounts = new Set();
    f = await inProcess([presenceModule, roster], accounts);
  });
  afterEach(async () => { await f.cleanup(); });

  const befriend = async (a: RecordingSession, b: RecordingSession) => {
    for (const [from, to, type] of [[a, b, 'subscribe'], [b, a, 'subscribed'], [b, a, 'subscribe'], [a, b, 'subscribed']] as const) {
      await f.send(from, xml('presence', { to: to.jid.bareString, type }));
    }
    a.take(isPush(b.jid.bareString, 'both'), 'both');
    b.take(isPush(a.jid.bareString, 'both'), 'both');
    a.got.length = 0;
    b.got.length = 0;
  };

  it('seed 5.1 end to end', async () => {
    accounts.add('jan');
    const bob = await f.login('bob', 'phone');
    bob.got.length = 0;
    await f.iq(bob, xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, xml('item', { jid: 'jan@localhost', name: 'Jan' }, xml('group', {}, 'Divers')))));
    await f.send(bob, xml('presence', { to: 'jan@localhost', type: 'subscribe' }));
    assert.equal(itemIn(bob.take(isPush('jan@localhost', 'none+ask'), 'pending out'), 'jan@localhost')!.attrs.name, 'Jan');

    let jan = await f.login('jan', 'desk');
    const req = jan.take(presence('bob@localhost', 'subscribe'), 'stored request');
    assert.ok(req.getChild('delay', 'urn:xmpp:delay'));
    await f.logout(jan);
    jan = await f.login('jan', 'desk');
    jan.take(presence('bob@localhost', 'subscribe'), 'redelivered request');

    await f.send(jan, xml('presence', { to: 'bob@localhost', type: 'subscribed' }));
    await f.send(jan, xml('presence', { to: 'bob@localhost', type: 'subscribe' }));
    bob.take(isPush('jan@localhost', 'to'), 'To');
    bob.take(presence('jan@localhost', 'subscribed'), 'approval');
    bob.take(presence('jan@localhost/desk'), "Jan's presence");
    bob.take(presence('jan@localhost', 'subscribe'), "Jan's request");
    await f.send(bob, xml('presence', { to: 'jan@localhost', type: 'subscribed' }));
    bob.take(isPush('jan@localhost', 'both'), 'Both');
    jan.take(isPush('bob@localhost', 'both'), 'Both');
    jan.take(presence('bob@localhost/phone'), "Bob's presence");

    await f.send(bob, xml('presence', {}, xml('show', {}, 'away')));
    assert.equal(jan.take(presence('bob@localhost/phone'), 'away').getChildText('show'), 'away');
    await f.logout(jan);
    bob.take(presence('jan@localhost/desk', 'unavailable'), 'unavailable');
    jan = await f.login('jan', 'desk');
    bob.take(presence('jan@localhost/desk'), 'Jan back');
    jan.take(presence('bob@localhost/phone'), 'probe answer');
    jan.none((el) => el.attrs.type === 'subscribe', 'request after it was answered');
  });

  it('unsubscribe and cancel follow Appendix A on both sides', async () => {
    const a = await f.login('a', 'r');
    const b = await f.login('b', 'r');
    await befriend(a, b);
    await f.send(a, xml('presence', { to: 'b@localhost', type: 'unsubscribe' }));
    a.take(isPush('b@localhost', 'from'), 'A.2.2 Both → From');
    b.take(isPush('a@localhost', 'to'), 'A.3.2 Both → To');
    b.take(presence('a@localhost', 'unsubscribe'), 'delivered');
    a.take(presence('b@localhost/r', 'unavailable'), "the contact's presence withdrawn");
    await f.send(a, xml('presence', { to: 'b@localhost', type: 'unsubscribed' }));
    a.take(isPush('b@localhost', 'none'), 'A.2.4 From → None');
    b.take(isPush('a@localhost', 'none'), 'A.3.4 To → None');
    b.take(presence('a@localhost', 'unsubscribed'), 'delivered');
    b.take(presence('a@localhost/r', 'unavailable'), "the user's presence withdrawn");
  });

  it('pre-approval and its withdrawal', async () => {
    const a = await f.login('a', 'r');
    const c = await f.login('c', 'r');
    await f.send(a, xml('presence', { to: 'c@localhost', type: 'subscribed' }));
    assert.equal(itemIn(a.take(isPush('c@localhost', 'none'), 'pre-approved'), 'c@localhost')!.attrs.approved, 'true');
    c.none((el) => el.name === 'presence' && el.attrs.type === 'subscribed', 'a routed pre-approval');
    await f.send(c, xml('presence', { to: 'a@localhost', type: 'subscribe' }));
    c.take(presence('a@localhost', 'subscribed'), 'approved by the server');
    c.take(isPush('a@localhost', 'to'), 'To');
    c.take(presence('a@localhost/r'), 'presence');
    assert.equal(itemIn(a.take(isPush('c@localhost', 'from'), 'From'), 'c@localhost')!.attrs.approved, undefined);
    a.none((el) => el.attrs.type === 'subscribe', 'the request');

    const d = await f.login('d', 'r');
    await f.send(a, xml('presence', { to: 'd@localhost', type: 'subscribed' }));
    await f.send(a, xml('presence', { to: 'd@localhost', type: 'unsubscribed' }));
    await f.send(d, xml('presence', { to: 'a@localhost', type: 'subscribe' }));
    a.take(presence('d@localhost', 'subscribe'), 'an ordinary request');
  });

  it('withdrawn and denied requests; requests to nobody', async () => {
    const c = await f.login('c', 'r');
    let d = await f.login('d', 'r');
    await f.send(c, xml('presence', { to: 'd@localhost', type: 'subscribe' }));
    d.take(presence('c@localhost', 'subscribe'), 'request');
    await f.send(c, xml('presence', { to: 'd@localhost', type: 'unsubscribe' }));
    d.take(presence('c@localhost', 'unsubscribe'), 'withdrawal');
    await f.logout(d);
    d = await f.login('d', 'r');
    d.none((el) => el.attrs.type === 'subscribe', 'a withdrawn request');

    const e = await f.login('e', 'r');
    await f.send(e, xml('presence', { to: 'd@localhost', type: 'subscribe' }));
    await f.send(d, xml('presence', { to: 'e@localhost', type: 'unsubscribed' }));
    e.take(presence('d@localhost', 'unsubscribed'), 'denial');
    e.take(isPush('d@localhost', 'none'), 'None');
    assert.equal(itemIn(await f.iq(d, xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER }))), 'e@localhost'), undefined);

    await f.send(e, xml('presence', { to: 'ghost@localhost', type: 'subscribe' }));
    e.take(presence('ghost@localhost', 'unsubscribed'), 'no such account');
  });

  it('directed presence, and its unavailable when the session ends', async () => {
    const g = await f.login('g', 'r');
    const h = await f.login('h', 'r');
    const i = await f.login('i', 'r');
    await f.send(g, xml('presence', { to: 'h@localhost' }));
    h.take(presence('g@localhost/r'), 'directed');
    await f.send(g, xml('presence', { to: 'i@localhost/r' }));
    i.take(presence('g@localhost/r'), 'directed to a full JID');
    await f.send(g, xml('presence', { to: 'i@localhost/r', type: 'unavailable' }));
    i.take(presence('g@localhost/r', 'unavailable'), 'directed unavailable');
    await f.send(g, xml('presence', {}, xml('show', {}, 'dnd')));
    h.none(presence('g@localhost/r'), 'a broadcast to a non-subscriber');
    await f.logout(g);
    h.take(presence('g@localhost/r', 'unavailable'), 'unavailable at the end');
    i.none(presence('g@localhost/r', 'unavailable'), 'a second unavailable');
  });

  it('probes, priorities, own resources, presence to an unavailable account', async () => {
    const j = await f.login('j', 'r');
    let k = await f.login('k', 'r');
    await befriend(j, k);
    await f.logout(k);
    await f.send(j, xml('presence', {}, xml('priority', {}, '7')));
    k = await f.login('k', 'r');
    assert.equal(k.take(presence('j@localhost/r'), 'probe answer').getChildText('priority'), '7');
    const j2 = await f.login('j', 'r2', { presence: false });
    await f.send(j2, xml('presence', {}, xml('priority', {}, '-3')));
    assert.equal(j2.priority, -3);
    assert.equal(j.take(presence('j@localhost/r2'), 'own other resource').getChildText('priority'), '-3');
    j2.take(presence('j@localhost/r'), 'the other resource, to the new one');
    j2.take(presence('j@localhost/r2'), 'itself');
    await f.send(j2, xml('presence', { id: 'p' }, xml('priority', {}, '128')));
    assert.equal(errorCondition(j2.take((el) => el.attrs.type === 'error', 'error')), 'bad-request');

    const stranger = await f.login('s', 'r');
    await f.send(stranger, xml('presence', { to: 'j@localhost', type: 'probe' }));
    stranger.none((el) => el.name === 'presence' && el.attrs.from?.startsWith('j@localhost'), 'a leak');

    const quiet = await f.login('q', 'r', { presence: false });
    await f.send(stranger, xml('presence', { to: 'q@localhost' }));
    await f.send(stranger, xml('presence', { to: 'q@localhost', type: 'subscribe' }));
    quiet.none((el) => el.name === 'presence', 'presence while unavailable');
    await f.send(quiet, xml('presence'));
    quiet.take(presence('s@localhost', 'subscribe'), 'the kept request');
  });

  it('removing a contact ends the subscriptions; deleting an account cancels them all', async () => {
    const a = await f.login('a', 'r');
    const b = await f.login('b', 'r');
    const c = await f.login('c', 'r');
    await befriend(a, b);
    await befriend(a, c);
    await f.iq(a, xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, xml('item', { jid: 'b@localhost', subscription: 'remove' }))));
    b.take(presence('a@localhost', 'unsubscribe'), 'unsubscribe');
    b.take(presence('a@localhost', 'unsubscribed'), 'unsubscribed');
    b.take(isPush('a@localhost', 'none'), 'None');

    const d = await f.login('d', 'r');
    await f.send(d, xml('presence', { to: 'a@localhost', type: 'subscribe' }));
    await f.host.bus.notify('user/deleting', { host: 'localhost', username: 'a' });
    await new Promise((r) => setImmediate(r));
    c.take(isPush('a@localhost', 'none'), 'Both → None');
    d.take(presence('a@localhost', 'unsubscribed'), 'the unanswered request denied');
    const after = await f.iq(a, xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
    assert.equal(after.getChild('query')!.getChildren('item').length, 0);
  });
});
