/** XEP-0049 private XML storage and XEP-0402 bookmarks with XEP-0048 compatibility, end to end. */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, errorCondition, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { capsVer, parseDiscoInfo } from '../caps/verification.js';

const PRIVATE = 'jabber:iq:private';
const PUBSUB = 'http://jabber.org/protocol/pubsub';
const EVENT = 'http://jabber.org/protocol/pubsub#event';
const INFO = 'http://jabber.org/protocol/disco#info';
const NS_CAPS = 'http://jabber.org/protocol/caps';
const BM2 = 'urn:xmpp:bookmarks:1';
const LEGACY = 'storage:bookmarks';

const clientInfo = (node?: string) => xml('query', node ? { xmlns: INFO, node } : { xmlns: INFO },
  xml('identity', { category: 'client', type: 'pc' }), xml('feature', { var: INFO }), xml('feature', { var: NS_CAPS }),
  xml('feature', { var: `${BM2}+notify` }));
const VER = capsVer(parseDiscoInfo(clientInfo()) as Exclude<ReturnType<typeof parseDiscoInfo>, 'ill-formed'>)!;

const privGet = (child: Element, to?: string) => xml('iq', to ? { type: 'get', to } : { type: 'get' }, xml('query', { xmlns: PRIVATE }, child));
const privSet = (child: Element, to?: string) => xml('iq', to ? { type: 'set', to } : { type: 'set' }, xml('query', { xmlns: PRIVATE }, child));
const form = (values: Record<string, string>) => xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
  xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/pubsub#publish-options')),
  ...Object.entries(values).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))));
const BM2_OPTIONS = { 'pubsub#persist_items': 'true', 'pubsub#max_items': 'max', 'pubsub#send_last_published_item': 'never', 'pubsub#access_model': 'whitelist' };
const publish = (node: string, id: string, payload: Element, options?: Record<string, string>) => xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB },
  xml('publish', { node }, xml('item', { id }, payload)), ...(options ? [xml('publish-options', {}, form(options))] : [])));
const itemsOf = async (c: TestClient, node: string) => {
  const r = await c.iq(xml('iq', { type: 'get' }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node }))));
  assert.equal(r.attrs.type, 'result', r.toString());
  return r.getChild('pubsub', PUBSUB)!.getChild('items')!.getChildren('item');
};

describe('private XML storage (XEP-0049) and bookmarks (XEP-0402, XEP-0048) @e2e', function () {
  this.timeout(40_000);
  let server: TestServer;
  let alice: TestClient;
  let watcher: TestClient;
  let bob: TestClient;

  before(async () => {
    server = await startServer();
    await createUser(server, 'alice', 'alice-pass');
    await createUser(server, 'bob', 'bob-pass');
    alice = await connect(server, 'alice', 'alice-pass', { resource: 'main' });
    bob = await connect(server, 'bob', 'bob-pass');
    watcher = await connect(server, 'alice', 'alice-pass', { resource: 'watcher', presence: false });
    (watcher.xmpp as unknown as { iqCallee: { get(ns: string, name: string, fn: (ctx: { stanza: Element }) => Element): void } })
      .iqCallee.get(INFO, 'query', (ctx) => clientInfo(ctx.stanza.getChild('query')!.attrs.node));
    await watcher.send(xml('presence', {}, xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: 'https://bm.test', ver: VER })));
    await new Promise((r) => setTimeout(r, 300));
  });
  after(async () => {
    await Promise.all([alice, bob, watcher].map((c) => c?.stop()));
    await server?.cleanup();
  });

  it('private storage: set then get returns the fragment; nothing stored gives the empty element (§3.1, §3.2)', async () => {
    const empty = await alice.iq(privGet(xml('prefs', { xmlns: 'exodus:prefs' })));
    assert.equal(empty.getChild('query', PRIVATE)!.getChild('prefs', 'exodus:prefs')!.children.length, 0);
    const set = await alice.iq(privSet(xml('prefs', { xmlns: 'exodus:prefs' }, xml('defaultnick', {}, 'Hamlet'))));
    assert.equal(set.attrs.type, 'result');
    const got = await alice.iq(privGet(xml('prefs', { xmlns: 'exodus:prefs' })));
    assert.equal(got.getChild('query', PRIVATE)!.getChild('prefs', 'exodus:prefs')!.getChildText('defaultnick'), 'Hamlet');
  });

  it('private storage: jabber:client / jabber:server are not-acceptable, another user\'s data is forbidden (§3.3)', async () => {
    for (const ns of ['jabber:client', 'jabber:server']) {
      assert.equal(errorCondition(await alice.iq(privSet(xml('x', { xmlns: ns })))), 'not-acceptable', ns);
      assert.equal(errorCondition(await alice.iq(privGet(xml('x', { xmlns: ns })))), 'not-acceptable', ns);
    }
    assert.equal(errorCondition(await bob.iq(privGet(xml('prefs', { xmlns: 'exodus:prefs' }), alice.bare))), 'forbidden');
    assert.equal(errorCondition(await bob.iq(privSet(xml('prefs', { xmlns: 'exodus:prefs' }), alice.bare))), 'forbidden');
  });

  it('the account advertises urn:xmpp:bookmarks:1#compat', async () => {
    const r = await alice.iq(xml('iq', { type: 'get', to: alice.bare }, xml('query', { xmlns: INFO })));
    assert.ok(r.getChild('query', INFO)!.getChildren('feature').some((f) => f.attrs.var === `${BM2}#compat`));
  });

  it('a bookmarks2 publish shows in the XEP-0048 private-storage view (XEP-0402 §5.3)', async () => {
    const conf = xml('conference', { xmlns: BM2, name: 'The Play', autojoin: 'true' }, xml('nick', {}, 'Hamlet'));
    const r = await alice.iq(publish(BM2, 'theplay@conference.example', conf, BM2_OPTIONS));
    assert.equal(r.attrs.type, 'result', r.toString());
    const ev = await watcher.inbox.next((el) => el.getChild('event', EVENT)?.getChild('items')?.attrs.node === BM2, 5000, 'bookmarks2 notification');
    assert.equal(ev.getChild('event', EVENT)!.getChild('items')!.getChild('item')!.attrs.id, 'theplay@conference.example');
    const view = await alice.iq(privGet(xml('storage', { xmlns: LEGACY })));
    const confs = view.getChild('query', PRIVATE)!.getChild('storage', LEGACY)!.getChildren('conference');
    assert.equal(confs.length, 1);
    assert.equal(confs[0]!.attrs.jid, 'theplay@conference.example');
    assert.equal(confs[0]!.attrs.name, 'The Play');
    assert.equal(confs[0]!.attrs.autojoin, 'true');
    assert.equal(confs[0]!.getChildText('nick'), 'Hamlet');
  });

  it('a XEP-0048 private-storage set becomes bookmarks2 items, with notifications and retractions (XEP-0402 §5.3)', async () => {
    watcher.inbox.clear();
    const storage = xml('storage', { xmlns: LEGACY },
      xml('conference', { jid: 'council@conference.example', name: 'Council', autojoin: '1' }, xml('nick', {}, 'Ophelia'), xml('password', {}, 'secret')));
    assert.equal((await alice.iq(privSet(storage))).attrs.type, 'result');
    const items = await itemsOf(alice, BM2);
    assert.deepEqual(items.map((i) => i.attrs.id), ['council@conference.example'], 'the play was dropped, the council added');
    const c = items[0]!.getChild('conference', BM2)!;
    assert.equal(c.attrs.autojoin, 'true');
    assert.equal(c.getChildText('password'), 'secret');
    const ev = await watcher.inbox.next((el) => el.getChild('event', EVENT)?.getChild('items')?.getChild('item')?.attrs.id === 'council@conference.example', 5000, 'publish notification');
    assert.equal(ev.attrs.from, alice.bare);
    await watcher.inbox.next((el) => el.getChild('event', EVENT)?.getChild('items')?.getChild('retract')?.attrs.id === 'theplay@conference.example', 5000, 'retract notification');
    // Bookmarks are private: another user cannot read them.
    const r = await bob.iq(xml('iq', { type: 'get', to: alice.bare }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: BM2 }))));
    assert.equal(errorCondition(r), 'not-allowed');
  });

  it('a legacy PEP storage:bookmarks publish updates bookmarks2, and bookmarks2 changes update the legacy node', async () => {
    const storage = xml('storage', { xmlns: LEGACY }, xml('conference', { jid: 'legacy@conference.example', autojoin: 'false' }));
    assert.equal((await alice.iq(publish(LEGACY, 'current', storage, { 'pubsub#persist_items': 'true', 'pubsub#access_model': 'whitelist' }))).attrs.type, 'result');
    const deadline = Date.now() + 3000;
    let ids: string[] = [];
    while (Date.now() < deadline) {
      ids = (await itemsOf(alice, BM2)).map((i) => i.attrs.id);
      // The conversion publishes the new items and retracts the others one write at a time: wait for all of it.
      if (ids.length === 1 && ids[0] === 'legacy@conference.example') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(ids, ['legacy@conference.example']);
    await alice.iq(publish(BM2, 'new@conference.example', xml('conference', { xmlns: BM2, autojoin: 'true' }), BM2_OPTIONS));
    let legacyJids: string[] = [];
    while (Date.now() < deadline + 3000) {
      const legacy = await itemsOf(alice, LEGACY);
      legacyJids = legacy[0]!.getChild('storage', LEGACY)!.getChildren('conference').map((c) => c.attrs.jid).sort();
      if (legacyJids.length === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(legacyJids, ['legacy@conference.example', 'new@conference.example']);
  });
});
