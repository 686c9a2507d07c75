/**
 * XEP-0357 end to end: a real Tern, Alice's and Bob's @xmpp/client sessions, and a stand-in app
 * server: a third account, pushapp@localhost/app, that records the publish IQs it gets and answers
 * them as the test tells it to (a result, or an error).
 */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, errorCondition, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

const NS = 'urn:xmpp:push:0';
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const NS_DATA = 'jabber:x:data';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const APP = 'pushapp@localhost/app';
const INTERVAL_MS = 1000;

type Answer = { kind: 'result' } | { kind: 'error'; type: string; condition: string };

/** The fields of the summary form in a publish, by var. */
function summary(iq: Element): Map<string, string> {
  const form = iq.getChild('pubsub', NS_PUBSUB)?.getChild('publish')?.getChild('item')?.getChild('notification', NS)?.getChild('x', NS_DATA);
  assert.ok(form, `a notification form in ${iq.toString()}`);
  assert.equal(form.attrs.type, 'form');
  return new Map(form.getChildren('field').map((f) => [f.attrs.var as string, f.getChildText('value') ?? '']));
}
const isPublish = (el: Element) => el.name === 'iq' && el.attrs.type === 'set' && el.getChild('pubsub', NS_PUBSUB) !== undefined;
const enable = (jid: string | undefined, node: string | undefined, ...children: Element[]) => {
  const attrs: Record<string, string> = { xmlns: NS };
  if (jid !== undefined) attrs.jid = jid;
  if (node !== undefined) attrs.node = node;
  return xml('iq', { type: 'set' }, xml('enable', attrs, ...children));
};
const disable = (jid: string, node?: string) => xml('iq', { type: 'set' }, xml('disable', node ? { xmlns: NS, jid, node } : { xmlns: NS, jid }));
const publishOptions = (secret: string) => xml('x', { xmlns: NS_DATA, type: 'submit' },
  xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/pubsub#publish-options')),
  xml('field', { var: 'secret' }, xml('value', {}, secret)));

describe('push notifications (XEP-0357) @e2e', function () {
  this.timeout(40_000);
  let server: TestServer;
  let app: TestClient;
  let bob: TestClient;
  let answer: Answer = { kind: 'result' };

  const alice = () => connect(server, 'alice', 'alice-pass', { resource: 'phone' });
  const chat = (body: string) => bob.send(xml('message', { to: 'alice@localhost', type: 'chat' }, xml('body', {}, body)));
  const ok = async (c: TestClient, iq: Element) => {
    const r = await c.iq(iq);
    assert.equal(r.attrs.type, 'result', r.toString());
  };

  before(async () => {
    server = await startServer({ config: { hosts: [{ domain: 'localhost', registration: 'open', push: { min_interval_s: INTERVAL_MS / 1000 } }] } });
    await createUser(server, 'alice', 'alice-pass');
    await createUser(server, 'bob', 'bob-pass');
    await createUser(server, 'pushapp', 'app-pass');
    app = await connect(server, 'pushapp', 'app-pass', { resource: 'app' });
    // The stand-in app server: @xmpp/client's IQ callee answers the publish; the inbox records it.
    const callee = (app.xmpp as unknown as { iqCallee: { set(ns: string, name: string, h: () => unknown): void } }).iqCallee;
    callee.set(NS_PUBSUB, 'pubsub', () => (answer.kind === 'result'
      ? true
      : xml('error', { type: answer.type }, xml(answer.condition, { xmlns: STANZAS }))));
    bob = await connect(server, 'bob', 'bob-pass', { resource: 'b' });
  });
  after(async () => {
    await Promise.all([app, bob].map((c) => c?.stop()));
    await server?.cleanup();
  });
  beforeEach(() => { answer = { kind: 'result' }; app.inbox.clear(); });

  it('is an account feature (§4.1)', async () => {
    const a = await alice();
    const info = await a.iq(xml('iq', { type: 'get', to: 'alice@localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === NS));
    await a.stop();
  });

  it('notifies the app server of messages while Alice is offline: summary, count, sender, publish options, no body (§5, §7)', async () => {
    const a = await alice();
    await ok(a, enable(APP, 'node-1', publishOptions('s3cret')));
    await a.stop();

    for (const b of ['one', 'two', 'three']) await chat(b);
    const first = await app.inbox.next(isPublish, 5000, 'the first publish');
    assert.equal(first.attrs.from, 'alice@localhost', 'published from the user\'s bare JID');
    assert.equal(first.attrs.to, APP);
    assert.equal(first.getChild('pubsub', NS_PUBSUB)!.getChild('publish')!.attrs.node, 'node-1');
    const f1 = summary(first);
    assert.equal(f1.get('FORM_TYPE'), 'urn:xmpp:push:summary');
    assert.equal(f1.get('message-count'), '1');
    assert.equal(f1.get('last-message-sender'), 'bob@localhost');
    assert.equal(f1.has('last-message-body'), false, 'no body unless the operator enables it');
    const opts = first.getChild('pubsub', NS_PUBSUB)!.getChild('publish-options')?.getChild('x', NS_DATA);
    assert.ok(opts, 'the stored publish options go along');
    assert.equal(opts.getChildren('field').find((f) => f.attrs.var === 'secret')?.getChildText('value'), 's3cret');

    // The two messages within the interval become one publish at its end, counting all three.
    const started = Date.now();
    const second = await app.inbox.next(isPublish, 5000, 'the coalesced publish');
    assert.ok(Date.now() - started >= INTERVAL_MS / 2, 'held until the interval passed');
    assert.equal(summary(second).get('message-count'), '3');
    assert.equal(summary(second).get('last-message-sender'), 'bob@localhost');
    await app.inbox.none(isPublish, INTERVAL_MS + 300);
  });

  it('stops after disable (§6)', async () => {
    let a = await alice();
    assert.equal((await a.iq(disable(APP, 'node-1'))).attrs.type, 'result');
    assert.equal((await a.iq(disable(APP))).attrs.type, 'result', 'disabling what is not enabled is not an error');
    await a.stop();
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
    await chat('after disable');
    await app.inbox.none(isPublish, INTERVAL_MS + 300);
    a = await alice(); // takes the offline messages
    await a.stop();
  });

  it('notifies for a message that reaches a hibernated (XEP-0198) session, and not while it is connected', async () => {
    const a = await alice();
    await ok(a, enable(APP, 'node-sm'));
    await a.send(xml('presence'));
    await new Promise((r) => setTimeout(r, INTERVAL_MS + 100));
    await chat('while connected');
    await a.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'while connected');
    await app.inbox.none(isPublish, 300);
    // The phone's radio dies: the TCP connection goes without a closing </stream:stream>.
    // (@xmpp/tls wraps the TLS socket; destroying the inner one is a connection lost.)
    (a.xmpp as unknown as { socket: { socket: { destroy(): void } } }).socket.socket.destroy();
    await new Promise((r) => setTimeout(r, 300));
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
    await chat('while hibernated');
    const p = await app.inbox.next(isPublish, 5000, 'a publish for the hibernated session');
    assert.equal(p.getChild('pubsub', NS_PUBSUB)!.getChild('publish')!.attrs.node, 'node-sm');
    assert.ok(server.logs.some((l) => l.msg === 'session hibernated' && l.jid === 'alice@localhost/phone'), 'the session hibernated rather than ended');
    assert.equal(summary(p).get('last-message-sender'), 'bob@localhost');
    await a.stop();
    const b = await alice();
    await ok(b, disable(APP, 'node-sm'));
    await b.stop();
  });

  it('a cancel error from the app server removes the registration (§7.1)', async () => {
    const a = await alice();
    await ok(a, enable(APP, 'node-gone'));
    await a.stop();
    answer = { kind: 'error', type: 'cancel', condition: 'item-not-found' };
    await chat('to a gone node');
    await app.inbox.next(isPublish, 5000, 'the publish that fails');
    await new Promise((r) => setTimeout(r, INTERVAL_MS + 200));
    assert.ok(server.logs.some((l) => l.msg === 'push: registration disabled after a failed publish' && l.appServer === APP));
    answer = { kind: 'result' };
    await chat('nobody is told');
    await app.inbox.none(isPublish, INTERVAL_MS + 300);
  });

  it('a wait error keeps the registration', async () => {
    const a = await alice();
    await ok(a, enable(APP, 'node-busy'));
    await a.stop();
    answer = { kind: 'error', type: 'wait', condition: 'resource-constraint' };
    await chat('busy one');
    await app.inbox.next(isPublish, 5000, 'the publish answered with wait');
    await new Promise((r) => setTimeout(r, INTERVAL_MS + 200));
    answer = { kind: 'result' };
    await chat('busy two');
    const again = await app.inbox.next(isPublish, 5000, 'a publish after the wait error');
    assert.equal(again.getChild('pubsub', NS_PUBSUB)!.getChild('publish')!.attrs.node, 'node-busy');
    const b = await alice();
    await ok(b, disable(APP));
    await b.stop();
  });

  it('refuses malformed requests with bad-request, and another account\'s with service-unavailable', async () => {
    const a = await alice();
    for (const [what, iq] of [
      ['no jid', enable(undefined, 'n')],
      ['an empty jid', enable('', 'n')],
      ['an invalid jid', enable('a@b@c', 'n')],
      ['no node', enable(APP, undefined)],
      ['the account itself', enable('alice@localhost', 'n')],
      ['disable without jid', xml('iq', { type: 'set' }, xml('disable', { xmlns: NS }))],
    ] as const) {
      const r = await a.iq(iq);
      assert.equal(r.attrs.type, 'error', what);
      assert.equal(errorCondition(r), 'bad-request', what);
      assert.equal(r.getChild('error')!.attrs.type, 'modify', what);
    }
    const big = await a.iq(enable(APP, 'n', publishOptions('x'.repeat(5000))));
    assert.equal(errorCondition(big), 'not-acceptable', 'oversized publish options');
    const other = await a.iq(xml('iq', { type: 'set', to: 'bob@localhost' }, xml('enable', { xmlns: NS, jid: APP, node: 'n' })));
    assert.equal(errorCondition(other), 'service-unavailable', 'a user cannot register push for another account');
    await a.stop();
    await chat('no registration was made');
    await app.inbox.none(isPublish, 500);
    const b = await alice();
    await b.stop();
  });
});
