/**
 * Push notifications in process: the core router and host with the accounts, message, offline and
 * push modules, embedded storage, and RecordingSessions (whose `hibernated` a test can set, as
 * XEP-0198 will); plus the notifier's coalescing and failure rules with a scripted app server.
 */
import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import pino from 'pino';
import { configSchema } from '../../config/schema.js';
import { StanzaError } from '../../core/errors.js';
import { HookBus } from '../../core/events.js';
import { Host } from '../../core/host.js';
import { Jid } from '../../core/jid.js';
import { type ModuleDefinition, ServiceRegistry } from '../../core/module.js';
import { Router } from '../../core/router.js';
import { xml } from '../../core/stanza.js';
import { openTempStorage, RecordingSession } from '../../../test/harness/in-process.js';
import accounts from '../accounts/index.js';
import message from '../message/index.js';
import offline from '../offline/index.js';
import push from './index.js';
import { classifyFailure, FORM_SUMMARY, NS_PUBSUB, publishIq, warrantsNotification } from './notification.js';
import { Notifier } from './notifier.js';
import { NS_DATA, NS_PUSH, parseEnable, type Registration } from './registrations.js';
import { deliveredTargets } from './targets.js';

const log = pino({ level: 'silent' });
const settle = () => new Promise((r) => setImmediate(r));
const isPublish = (el: Element) => el.name === 'iq' && el.attrs.type === 'set' && el.getChild('pubsub', NS_PUBSUB) !== undefined;
function fields(iq: Element): Map<string, string> {
  const form = iq.getChild('pubsub', NS_PUBSUB)!.getChild('publish')!.getChild('item')!.getChild('notification', NS_PUSH)!.getChild('x', NS_DATA)!;
  return new Map(form.getChildren('field').map((f) => [f.attrs.var as string, f.getChildText('value') ?? '']));
}

async function inProcess(push: Record<string, unknown> = {}) {
  const config = configSchema.parse({ hosts: [{ domain: 'localhost', push: { min_interval_s: 0, ...push } }] });
  const global = new HookBus();
  const router = new Router(global, log);
  const temp = openTempStorage();
  const host = new Host('localhost', config.hosts[0]!, config, router, global, new ServiceRegistry(), temp.storage, log);
  router.addHost(host);
  await host.loadModules([accounts, message, offline, push_] as ModuleDefinition<any, any>[]);
  let ids = 0;
  const f = {
    host,
    cleanup: async () => { await host.unloadAll(); await temp.cleanup(); },
    login(username: string, resource: string): RecordingSession {
      const s = new RecordingSession(Jid.of(username, 'localhost', resource), username);
      s.available = true;
      host.sessions.bind(username, resource, s);
      return s;
    },
    async send(s: RecordingSession, el: Element): Promise<void> {
      await router.process(s, el);
      for (let i = 0; i < 5; i++) await settle();
    },
    async iq(s: RecordingSession, el: Element): Promise<Element> {
      el.attrs.id = `iq${ids++}`;
      await f.send(s, el);
      return s.take((r) => r.name === 'iq' && r.attrs.id === el.attrs.id, `reply to ${el.attrs.id}`);
    },
    /** The stand-in app server answers a publish it got. */
    async answer(app: RecordingSession, publish: Element, error?: { type: string; condition: string }): Promise<void> {
      const reply = xml('iq', { type: error ? 'error' : 'result', id: publish.attrs.id, to: publish.attrs.from });
      if (error) reply.append(xml('error', { type: error.type }, xml(error.condition, { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })));
      await f.send(app, reply);
    },
  };
  return f;
}
const push_ = push;

describe('push notifications in process (core router, message and offline modules)', () => {
  let f: Awaited<ReturnType<typeof inProcess>>;
  afterEach(async () => { await f?.cleanup(); });

  const chat = (to: string, body: string) => xml('message', { to, type: 'chat' }, xml('body', {}, body));
  const enable = (node: string) => xml('iq', { type: 'set' }, xml('enable', { xmlns: NS_PUSH, jid: 'pushapp@localhost/app', node }));

  it('a message delivered to a hibernated session wakes the device that enabled push there', async () => {
    f = await inProcess();
    const app = f.login('pushapp', 'app');
    const bob = f.login('bob', 'b');
    const phone = f.login('alice', 'phone');
    assert.equal((await f.iq(phone, enable('n-phone'))).attrs.type, 'result');

    await f.send(bob, chat('alice@localhost/phone', 'while connected'));
    phone.take((m) => m.getChildText('body') === 'while connected', 'live delivery');
    app.none(isPublish, 'a publish for a connected device');

    phone.hibernated = true;
    await f.send(bob, chat('alice@localhost', 'while hibernated'));
    phone.take((m) => m.getChildText('body') === 'while hibernated', 'queued for the hibernated session');
    const publish = app.take(isPublish, 'a publish for the hibernated device');
    assert.equal(publish.attrs.from, 'alice@localhost');
    assert.equal(publish.attrs.to, 'pushapp@localhost/app');
    assert.equal(publish.getChild('pubsub', NS_PUBSUB)!.getChild('publish')!.attrs.node, 'n-phone');
    const form = fields(publish);
    assert.equal(form.get('FORM_TYPE'), FORM_SUMMARY);
    assert.equal(form.get('message-count'), '1');
    assert.equal(form.get('last-message-sender'), 'bob@localhost');
    assert.equal(form.has('last-message-body'), false);
    await f.answer(app, publish);

    await f.send(bob, chat('alice@localhost/phone', 'again'));
    assert.equal(fields(app.take(isPublish, 'the registration survived a result')).get('message-count'), '2');
  });

  it('only the hibernated device\'s own registration is notified; chat states alone wake nobody', async () => {
    f = await inProcess();
    const app = f.login('pushapp', 'app');
    const bob = f.login('bob', 'b');
    const phone = f.login('alice', 'phone');
    const desk = f.login('alice', 'desk');
    await f.iq(phone, enable('n-phone'));
    desk.hibernated = true;
    await f.send(bob, chat('alice@localhost/desk', 'to the desk'));
    app.none(isPublish, 'a publish for the phone when the desk hibernates');

    phone.hibernated = true;
    await f.send(bob, xml('message', { to: 'alice@localhost/phone', type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    app.none(isPublish, 'a publish for a chat state');
    await f.send(bob, xml('message', { to: 'alice@localhost/phone', type: 'chat' }, xml('encrypted', { xmlns: 'eu.siacs.conversations.axolotl' })));
    app.take(isPublish, 'a publish for an OMEMO message without body');
  });

  it('the body goes along only when the operator enables it; resuming resets the count', async () => {
    f = await inProcess({ include_body: true, include_sender: false });
    const app = f.login('pushapp', 'app');
    const bob = f.login('bob', 'b');
    const phone = f.login('alice', 'phone');
    await f.iq(phone, enable('n'));
    phone.hibernated = true;
    await f.send(bob, chat('alice@localhost/phone', 'secret plans'));
    const form = fields(app.take(isPublish, 'publish'));
    assert.equal(form.get('last-message-body'), 'secret plans');
    assert.equal(form.has('last-message-sender'), false);
    phone.hibernated = false;
    await f.host.bus.notify('session/resumed', { session: phone });
    phone.hibernated = true;
    await f.send(bob, chat('alice@localhost/phone', 'next'));
    assert.equal(fields(app.take(isPublish, 'publish after resume')).get('message-count'), '1');
  });

  it('an auth error from the app server disables the registration; an answer from someone else does not', async () => {
    f = await inProcess();
    const app = f.login('pushapp', 'app');
    const bob = f.login('bob', 'b');
    const phone = f.login('alice', 'phone');
    await f.iq(phone, enable('n'));
    phone.hibernated = true;
    await f.send(bob, chat('alice@localhost/phone', 'one'));
    let publish = app.take(isPublish, 'first publish');
    // Bob guesses the id and answers in the app server's place: ignored.
    await f.answer(bob, publish, { type: 'cancel', condition: 'item-not-found' });
    await f.send(bob, chat('alice@localhost/phone', 'two'));
    publish = app.take(isPublish, 'the registration survived a spoofed error');
    await f.answer(app, publish, { type: 'auth', condition: 'forbidden' });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await f.host.storage.map<Registration>('localhost', 'push').all('alice')).size, 0, 'removed from storage');
    await f.send(bob, chat('alice@localhost/phone', 'three'));
    app.none(isPublish, 'a publish after the auth error');
  });

  it('keeps at most max_registrations per account, dropping the oldest', async () => {
    f = await inProcess({ max_registrations: 2 });
    const phone = f.login('alice', 'phone');
    for (const n of ['a', 'b', 'c']) {
      await f.iq(phone, enable(n));
      await new Promise((r) => setTimeout(r, 2));
    }
    const kept = [...(await f.host.storage.map<Registration>('localhost', 'push').all('alice')).values()].map((r) => r.node).sort();
    assert.deepEqual(kept, ['b', 'c']);
  });
});

describe('push notification logic', () => {
  const reg = (over: Partial<Registration> = {}): Registration => ({ jid: 'app.example', node: 'n', resource: 'phone', enabledAt: 1, ...over });
  const msg = (body?: string, from = 'bob@localhost/b') => xml('message', { from, to: 'alice@localhost', type: 'chat' }, ...(body ? [xml('body', {}, body)] : []));

  it('decides which messages warrant a notification', () => {
    assert.ok(warrantsNotification(msg('hi')));
    assert.ok(!warrantsNotification(msg('  ')), 'blank body');
    assert.ok(!warrantsNotification(msg()), 'no body');
    assert.ok(!warrantsNotification(xml('message', { type: 'error' }, xml('body', {}, 'x'))));
    assert.ok(!warrantsNotification(xml('message', { type: 'headline' }, xml('body', {}, 'x'))));
    assert.ok(warrantsNotification(xml('message', {}, xml('openpgp', { xmlns: 'urn:xmpp:openpgp:0' }))));
  });

  it('classifies app server answers (§7.1)', () => {
    const err = (type: string, from = 'app.example') => Object.assign(new Error('iq error'), { stanza: xml('iq', { type: 'error', from }, xml('error', { type })) });
    assert.equal(classifyFailure(err('cancel'), 'app.example'), 'disable');
    assert.equal(classifyFailure(err('auth'), 'app.example'), 'disable');
    assert.equal(classifyFailure(err('modify'), 'app.example'), 'disable');
    assert.equal(classifyFailure(err('wait'), 'app.example'), 'transient');
    assert.equal(classifyFailure(err('cancel', 'mallory@localhost/x'), 'app.example'), 'ignore');
    assert.equal(classifyFailure(new StanzaError('remote-server-timeout'), 'app.example'), 'timeout');
    assert.equal(classifyFailure(new Error('shutting down'), 'app.example'), 'ignore');
  });

  it('reads enable requests and builds the publish with the options as a sibling of <publish/>', () => {
    const self = Jid.parse('alice@localhost/phone');
    const form = xml('x', { xmlns: NS_DATA, type: 'submit' }, xml('field', { var: 'secret' }, xml('value', {}, 'a&b<c')));
    const req = parseEnable(xml('enable', { xmlns: NS_PUSH, jid: 'Push.Example', node: 'n1' }, form), self);
    assert.equal(req.jid, 'push.example', 'prepared');
    const iq = publishIq({ id: 'p1', from: 'alice@localhost', reg: reg({ jid: req.jid, node: req.node, options: req.options }), summary: { count: 2 } });
    const pubsub = iq.getChild('pubsub', NS_PUBSUB)!;
    assert.equal(pubsub.getChild('publish-options')!.getChild('x', NS_DATA)!.getChild('field')!.getChildText('value'), 'a&b<c');
    assert.equal(iq.attrs.to, 'push.example');
    assert.deepEqual([...fields(iq).keys()], ['FORM_TYPE', 'message-count']);
  });

  it('ties notifications for delivered messages to hibernated sessions of the registration\'s resource', () => {
    const s = (resource: string, hibernated: boolean) => Object.assign(new RecordingSession(Jid.of('alice', 'localhost', resource), 'alice'), { hibernated });
    const regs = [reg({ resource: 'phone', node: 'p' }), reg({ resource: 'tablet', node: 't' })];
    assert.deepEqual(deliveredTargets(regs, [s('phone', true)]).map((r) => r.node), ['p']);
    assert.deepEqual(deliveredTargets(regs, [s('phone', false), s('tablet', false)]), []);
  });

  describe('notifier', () => {
    let sent: Element[];
    let answers: Array<{ resolve(el: Element): void; reject(e: unknown): void }>;
    let disabled: string[];
    let notifier: Notifier;
    const make = (intervalMs: number) => new Notifier({
      domain: 'localhost', intervalMs, timeoutMs: 1000, maxTimeouts: 3, includeBody: false, includeSender: true, log,
      request: (iq) => { sent.push(iq); return new Promise((resolve, reject) => answers.push({ resolve, reject })); },
      disable: async (_u, r, reason) => { disabled.push(`${r.node}: ${reason}`); },
    });
    beforeEach(() => { sent = []; answers = []; disabled = []; });
    afterEach(() => notifier.close());
    const count = (iq: Element) => fields(iq).get('message-count');

    it('coalesces a burst into an immediate publish and one at the end of the interval', async () => {
      notifier = make(80);
      for (let i = 0; i < 5; i++) notifier.message('alice', msg(`m${i}`), [reg()]);
      assert.equal(sent.length, 1);
      assert.equal(count(sent[0]!), '1');
      await new Promise((r) => setTimeout(r, 120));
      assert.equal(sent.length, 2);
      assert.equal(count(sent[1]!), '5');
      await new Promise((r) => setTimeout(r, 120));
      assert.equal(sent.length, 2, 'nothing more without new messages');
    });

    it('drops a held publish when the user came online meanwhile', async () => {
      notifier = make(50);
      notifier.message('alice', msg('a'), [reg()]);
      notifier.message('alice', msg('b'), [reg()]);
      notifier.reset('alice');
      await new Promise((r) => setTimeout(r, 90));
      assert.equal(sent.length, 1);
    });

    it('disables after three unanswered publishes in a row; a wait error keeps it', async () => {
      notifier = make(0);
      const timeout = () => answers.shift()!.reject(new StanzaError('remote-server-timeout'));
      notifier.message('alice', msg('1'), [reg()]);
      timeout();
      notifier.message('alice', msg('2'), [reg()]);
      timeout();
      notifier.message('alice', msg('3'), [reg()]);
      answers.shift()!.reject(Object.assign(new Error('iq error'), { stanza: xml('iq', { type: 'error', from: 'app.example' }, xml('error', { type: 'wait' })) }));
      notifier.message('alice', msg('4'), [reg()]);
      timeout();
      notifier.message('alice', msg('5'), [reg()]);
      timeout();
      await settle();
      assert.deepEqual(disabled, [], 'the wait answer reset the count');
      notifier.message('alice', msg('6'), [reg()]);
      timeout();
      await settle();
      assert.deepEqual(disabled, ['n: 3 publishes unanswered']);
    });
  });
});
