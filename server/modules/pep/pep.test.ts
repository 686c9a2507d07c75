/** XEP-0163 PEP end to end over real sockets: notifications by caps +notify, last items, access models, publish-options, configuration. */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, errorCondition, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { capsVer, parseDiscoInfo } from '../caps/verification.js';

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const OWNER = 'http://jabber.org/protocol/pubsub#owner';
const EVENT = 'http://jabber.org/protocol/pubsub#event';
const ERRORS = 'http://jabber.org/protocol/pubsub#errors';
const INFO = 'http://jabber.org/protocol/disco#info';
const ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_CAPS = 'http://jabber.org/protocol/caps';
const TUNE = 'http://jabber.org/protocol/tune';
const DEVICES = 'eu.siacs.conversations.axolotl.devicelist';
const BUNDLE = 'eu.siacs.conversations.axolotl.bundles:31337';
const ROSTER = 'jabber:iq:roster';

const clientInfo = (notify: string[], node?: string) => xml('query', node ? { xmlns: INFO, node } : { xmlns: INFO },
  xml('identity', { category: 'client', type: 'pc', name: 'PEP test' }),
  xml('feature', { var: INFO }), xml('feature', { var: NS_CAPS }),
  ...notify.map((n) => xml('feature', { var: `${n}+notify` })));
const verOf = (q: Element) => capsVer(parseDiscoInfo(q) as Exclude<ReturnType<typeof parseDiscoInfo>, 'ill-formed'>)!;

const form = (type: string, values: Record<string, string>) => xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
  xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, type)),
  ...Object.entries(values).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))));
const publish = (node: string, id: string | undefined, payload: Element, options?: Record<string, string>, to?: string) =>
  xml('iq', to ? { type: 'set', to } : { type: 'set' }, xml('pubsub', { xmlns: PUBSUB },
    xml('publish', { node }, xml('item', id ? { id } : {}, payload)),
    ...(options ? [xml('publish-options', {}, form('http://jabber.org/protocol/pubsub#publish-options', options))] : [])));
const items = (to: string, node: string, attrs: Record<string, string> = {}, ...ids: string[]) =>
  xml('iq', { type: 'get', to }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node, ...attrs }, ...ids.map((id) => xml('item', { id })))));
const tune = (title: string) => xml('tune', { xmlns: TUNE }, xml('title', {}, title));
const appError = (el: Element) => el.getChild('error')?.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === ERRORS)?.name;
const eventFor = (node: string, from: string) => (el: Element) => el.name === 'message' && el.attrs.from === from && el.getChild('event', EVENT)?.getChild('items')?.attrs.node === node;
const idsOf = (r: Element) => r.getChild('pubsub', PUBSUB)!.getChild('items')!.getChildren('item').map((i) => i.attrs.id as string);

describe('PEP (XEP-0163) @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  const clients: TestClient[] = [];

  /** Logs in, answers disco#info as a client advertising `notify`+notify, sends presence with caps. */
  const login = async (user: string, resource: string, notify: string[] | undefined) => {
    const c = await connect(server, user, `${user}-pass`, { resource, presence: false });
    clients.push(c);
    await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
    if (!notify) {
      await c.send(xml('presence'));
      return c;
    }
    const ver = verOf(clientInfo(notify));
    (c.xmpp as unknown as { iqCallee: { get(ns: string, name: string, fn: (ctx: { stanza: Element }) => Element): void } })
      .iqCallee.get(INFO, 'query', (ctx) => clientInfo(notify, ctx.stanza.getChild('query')!.attrs.node));
    await c.send(xml('presence', {}, xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: 'https://pep.test/client', ver })));
    return c;
  };
  const logout = async (c: TestClient) => {
    clients.splice(clients.indexOf(c), 1);
    await c.stop();
  };
  const befriend = async (a: TestClient, b: TestClient) => {
    const both = (c: TestClient, jid: string) => c.inbox.next((el) => el.getChild('query', ROSTER)?.getChildren('item').some((i) => i.attrs.jid === jid && i.attrs.subscription === 'both') ?? false, 5000, 'both');
    await a.send(xml('presence', { to: b.bare, type: 'subscribe' }));
    await b.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe');
    await b.send(xml('presence', { to: a.bare, type: 'subscribed' }));
    await b.send(xml('presence', { to: a.bare, type: 'subscribe' }));
    await a.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe');
    await a.send(xml('presence', { to: b.bare, type: 'subscribed' }));
    await both(a, b.bare);
    await both(b, a.bare);
  };

  let alice: TestClient;
  let bob: TestClient;
  let dave: TestClient;

  before(async () => {
    server = await startServer();
    for (const u of ['alice', 'bob', 'dave']) await createUser(server, u, `${u}-pass`);
    alice = await login('alice', 'laptop', [TUNE]);
    bob = await login('bob', 'phone', [TUNE, DEVICES]);
    dave = await login('dave', 'stranger', [TUNE]);
    await befriend(alice, bob);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await server?.cleanup();
  });

  it('the account is a pubsub/pep service with the PEP features (XEP-0163 §9)', async () => {
    const r = await alice.iq(xml('iq', { type: 'get', to: alice.bare }, xml('query', { xmlns: INFO })));
    const q = r.getChild('query', INFO)!;
    assert.ok(q.getChildren('identity').some((i) => i.attrs.category === 'pubsub' && i.attrs.type === 'pep'));
    const features = new Set(q.getChildren('feature').map((f) => f.attrs.var));
    for (const f of ['publish', 'publish-options', 'auto-create', 'access-open', 'access-presence', 'access-roster', 'access-whitelist',
      'retrieve-items', 'retract-items', 'delete-nodes', 'config-node', 'persistent-items', 'last-published', 'item-ids', 'multi-items']) {
      assert.ok(features.has(`${PUBSUB}#${f}`), f);
    }
  });

  it('publish auto-creates the node and notifies the owner and contacts whose caps carry +notify (§4.3.1)', async () => {
    const quiet = await login('alice', 'nocaps', undefined);
    const r = await alice.iq(publish(TUNE, 'song1', tune('Yesterday')));
    assert.equal(r.attrs.type, 'result', r.toString());
    assert.equal(r.getChild('pubsub', PUBSUB)?.getChild('publish')?.getChild('item')?.attrs.id, 'song1');
    const ev = await bob.inbox.next(eventFor(TUNE, alice.bare), 5000, 'bob notified');
    assert.equal(ev.attrs.type, 'headline');
    assert.equal(ev.getChild('event', EVENT)!.getChild('items')!.getChild('item')!.getChild('tune', TUNE)!.getChildText('title'), 'Yesterday');
    await alice.inbox.next(eventFor(TUNE, alice.bare), 5000, 'own resource notified');
    // No +notify, no notification; a stranger neither, though its caps ask for the node.
    await quiet.inbox.none(eventFor(TUNE, alice.bare));
    await dave.inbox.none(eventFor(TUNE, alice.bare));
    await logout(quiet);
  });

  it('a contact logging in gets the last published item (§4.3.3)', async () => {
    await alice.iq(publish(TUNE, 'song2', tune('Help!')));
    const later = await login('bob', 'tablet', [TUNE]);
    const ev = await later.inbox.next(eventFor(TUNE, alice.bare), 5000, 'last item on presence');
    const item = ev.getChild('event', EVENT)!.getChild('items')!.getChild('item')!;
    assert.equal(item.attrs.id, 'song2');
    assert.ok(ev.getChild('delay', 'urn:xmpp:delay'), 'stamped as delayed');
    await logout(later);
  });

  it('presence access: a stranger cannot read, a contact can; unknown node is item-not-found (XEP-0060 §6.5.9)', async () => {
    const denied = await dave.iq(items(alice.bare, TUNE));
    assert.equal(errorCondition(denied), 'not-authorized');
    assert.equal(appError(denied), 'presence-subscription-required');
    const ok = await bob.iq(items(alice.bare, TUNE));
    assert.deepEqual(idsOf(ok), ['song2']);
    const none = await bob.iq(items(alice.bare, 'urn:example:nothing'));
    assert.equal(errorCondition(none), 'item-not-found');
  });

  it('OMEMO: device list and bundle published open are fetchable by a non-contact; disco#items shows it only those', async () => {
    const opts = { 'pubsub#access_model': 'open' };
    const list = xml('list', { xmlns: 'eu.siacs.conversations.axolotl' }, xml('device', { id: '31337' }));
    assert.equal((await alice.iq(publish(DEVICES, 'current', list, opts))).attrs.type, 'result');
    const bundle = xml('bundle', { xmlns: 'eu.siacs.conversations.axolotl' }, xml('signedPreKeyPublic', { signedPreKeyId: '1' }, 'BASE64'));
    assert.equal((await alice.iq(publish(BUNDLE, 'current', bundle, { ...opts, 'pubsub#max_items': 'max' }))).attrs.type, 'result');
    await bob.inbox.next(eventFor(DEVICES, alice.bare), 5000, 'devicelist notification to a contact');
    const got = await dave.iq(items(alice.bare, BUNDLE));
    assert.equal(got.attrs.type, 'result', got.toString());
    assert.equal(got.getChild('pubsub', PUBSUB)!.getChild('items')!.getChild('item')!.getChild('bundle')!.getChildText('signedPreKeyPublic'), 'BASE64');
    const disco = await dave.iq(xml('iq', { type: 'get', to: alice.bare }, xml('query', { xmlns: ITEMS })));
    const nodes = disco.getChild('query', ITEMS)!.getChildren('item').map((i) => i.attrs.node).sort();
    assert.deepEqual(nodes, [BUNDLE, DEVICES].sort());
    const forBob = await bob.iq(xml('iq', { type: 'get', to: alice.bare }, xml('query', { xmlns: ITEMS })));
    assert.ok(forBob.getChild('query', ITEMS)!.getChildren('item').some((i) => i.attrs.node === TUNE));
  });

  it('publish-options: a precondition the node does not meet is conflict + precondition-not-met (XEP-0060 §7.1.5)', async () => {
    const r = await alice.iq(publish(TUNE, 'x', tune('No')), 5000);
    assert.equal(r.attrs.type, 'result');
    const bad = await alice.iq(publish(TUNE, 'y', tune('Open?'), { 'pubsub#access_model': 'open' }));
    assert.equal(errorCondition(bad), 'conflict');
    assert.equal(bad.getChild('error')!.attrs.type, 'cancel');
    assert.equal(appError(bad), 'precondition-not-met');
    const unknownField = await alice.iq(publish(TUNE, 'z', tune('?'), { 'pubsub#frobnicate': '1' }));
    assert.equal(appError(unknownField), 'precondition-not-met');
    const kept = await bob.iq(items(alice.bare, TUNE));
    assert.deepEqual(idsOf(kept), ['x'], 'nothing published on failure');
  });

  it('node configuration: the form, max_items trimming, whitelist, and bad values (XEP-0060 §8.2)', async () => {
    const cfg = await alice.iq(xml('iq', { type: 'get' }, xml('pubsub', { xmlns: OWNER }, xml('configure', { node: TUNE }))));
    const x = cfg.getChild('pubsub', OWNER)!.getChild('configure')!.getChild('x', 'jabber:x:data')!;
    const value = (v: string) => x.getChildren('field').find((f) => f.attrs.var === v)?.getChildText('value');
    assert.equal(value('FORM_TYPE'), 'http://jabber.org/protocol/pubsub#node_config');
    assert.equal(value('pubsub#access_model'), 'presence');
    assert.equal(value('pubsub#max_items'), '1');
    assert.equal(value('pubsub#persist_items'), '1');
    assert.equal(value('pubsub#send_last_published_item'), 'on_sub_and_presence');
    assert.equal(value('pubsub#notify_retract'), '1');

    const set = (values: Record<string, string>) => alice.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: OWNER },
      xml('configure', { node: TUNE }, form('http://jabber.org/protocol/pubsub#node_config', values)))));
    assert.equal((await set({ 'pubsub#max_items': '2' })).attrs.type, 'result');
    for (const id of ['a', 'b', 'c']) await alice.iq(publish(TUNE, id, tune(id)));
    assert.deepEqual(idsOf(await bob.iq(items(alice.bare, TUNE))), ['b', 'c']);
    assert.deepEqual(idsOf(await bob.iq(items(alice.bare, TUNE, { max_items: '1' }))), ['c']);
    assert.deepEqual(idsOf(await bob.iq(items(alice.bare, TUNE, {}, 'b'))), ['b']);
    // Now the precondition matches.
    assert.equal((await alice.iq(publish(TUNE, 'd', tune('d'), { 'pubsub#max_items': '2' }))).attrs.type, 'result');

    assert.equal(errorCondition(await set({ 'pubsub#max_items': 'lots' })), 'not-acceptable');
    assert.equal(errorCondition(await set({ 'pubsub#access_model': 'authorize' })), 'not-acceptable');
    assert.equal((await set({ 'pubsub#access_model': 'whitelist' })).attrs.type, 'result');
    const closed = await bob.iq(items(alice.bare, TUNE));
    assert.equal(errorCondition(closed), 'not-allowed');
    assert.equal(appError(closed), 'closed-node');
    assert.equal((await set({ 'pubsub#access_model': 'presence' })).attrs.type, 'result');
    // Only the owner configures.
    const foreign = await bob.iq(xml('iq', { type: 'get', to: alice.bare }, xml('pubsub', { xmlns: OWNER }, xml('configure', { node: TUNE }))));
    assert.equal(errorCondition(foreign), 'forbidden');
  });

  it('retract notifies with <retract/>; unknown items are item-not-found (XEP-0060 §7.2)', async () => {
    bob.inbox.clear();
    const r = await alice.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('retract', { node: TUNE, notify: 'true' }, xml('item', { id: 'd' })))));
    assert.equal(r.attrs.type, 'result', r.toString());
    const ev = await bob.inbox.next(eventFor(TUNE, alice.bare), 5000, 'retract notification');
    assert.equal(ev.getChild('event', EVENT)!.getChild('items')!.getChild('retract')!.attrs.id, 'd');
    assert.deepEqual(idsOf(await bob.iq(items(alice.bare, TUNE))), ['c']);
    const again = await alice.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('retract', { node: TUNE }, xml('item', { id: 'd' })))));
    assert.equal(errorCondition(again), 'item-not-found');
  });

  it("publishing, retracting or deleting on someone else's PEP is forbidden; payload rules (XEP-0060 §7.1.3)", async () => {
    const pub = await bob.iq(publish(TUNE, 'evil', tune('mine now'), undefined, alice.bare));
    assert.equal(errorCondition(pub), 'forbidden');
    const ret = await bob.iq(xml('iq', { type: 'set', to: alice.bare }, xml('pubsub', { xmlns: PUBSUB }, xml('retract', { node: TUNE }, xml('item', { id: 'c' })))));
    assert.equal(errorCondition(ret), 'forbidden');
    const del = await dave.iq(xml('iq', { type: 'set', to: alice.bare }, xml('pubsub', { xmlns: OWNER }, xml('delete', { node: TUNE }))));
    assert.equal(errorCondition(del), 'forbidden');
    const empty = await alice.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: TUNE }, xml('item', { id: 'e' })))));
    assert.equal(errorCondition(empty), 'bad-request');
    assert.equal(appError(empty), 'payload-required');
    const noNode = await alice.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('publish', {}, xml('item', {}, tune('x'))))));
    assert.equal(appError(noNode), 'nodeid-required');
  });

  it('delete removes the node and notifies; items survive a restart (persistent items)', async () => {
    await alice.iq(publish('urn:example:temp', '1', xml('t', { xmlns: 'urn:example:temp' })));
    const del = await alice.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: OWNER }, xml('delete', { node: 'urn:example:temp' }))));
    assert.equal(del.attrs.type, 'result');
    assert.equal(errorCondition(await alice.iq(items(alice.bare, 'urn:example:temp'))), 'item-not-found');

    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await server.restart();
    const back = await login('bob', 'phone', [TUNE]);
    const r = await back.iq(items(`alice@${server.domain}`, TUNE));
    assert.deepEqual(idsOf(r), ['c']);
    await back.inbox.next(eventFor(TUNE, `alice@${server.domain}`), 5000, 'last item after restart');
  });
});
