/** XEP-0030 against a real server: the server's info and items, nodes, and accounts (§8 access rules). */
import assert from 'node:assert/strict';
import { connect, createUser, errorCondition, is, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

const INFO = 'http://jabber.org/protocol/disco#info';
const ITEMS = 'http://jabber.org/protocol/disco#items';

describe('service discovery (XEP-0030) @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  let anna: TestClient;
  let ben: TestClient;
  let stranger: TestClient;
  const get = (c: TestClient, to: string, ns: string, attrs: Record<string, string> = {}) =>
    c.iq(xml('iq', { type: 'get', to }, xml('query', { xmlns: ns, ...attrs })));

  before(async () => {
    server = await startServer();
    for (const u of ['anna', 'ben', 'stranger']) await createUser(server, u, `${u}-password`);
    anna = await connect(server, 'anna', 'anna-password', { resource: 'a' });
    ben = await connect(server, 'ben', 'ben-password', { resource: 'b' });
    stranger = await connect(server, 'stranger', 'stranger-password', { resource: 's' });
    // ben subscribes to anna, who approves: anna shares her presence with ben ('from' on her side).
    await ben.send(xml('presence', { to: 'anna@localhost', type: 'subscribe' }));
    await anna.inbox.next(is.presence('ben@localhost', 'subscribe'));
    await anna.send(xml('presence', { to: 'ben@localhost', type: 'subscribed' }));
    await ben.inbox.next(is.presence('anna@localhost', 'subscribed'));
  });
  after(async () => {
    await Promise.all([anna, ben, stranger].map((c) => c?.stop()));
    await server?.cleanup();
  });

  it('describes the server: one server/im identity and the features of the loaded modules', async () => {
    const r = await get(anna, server.domain, INFO);
    assert.equal(r.attrs.type, 'result');
    assert.equal(r.attrs.from, server.domain);
    const q = r.getChild('query', INFO)!;
    assert.deepEqual(q.getChildren('identity').map((i) => [i.attrs.category, i.attrs.type, i.attrs.name]), [['server', 'im', 'Tern']]);
    const features = q.getChildren('feature').map((f) => f.attrs.var as string);
    for (const f of [INFO, ITEMS, 'urn:xmpp:ping', 'jabber:iq:version', 'urn:xmpp:time', 'jabber:iq:last', 'jabber:iq:register']) {
      assert.ok(features.includes(f), `feature ${f}`);
    }
    assert.deepEqual(features, [...new Set(features)].sort(), 'each feature once');
  });

  it('lists the server items (its MUC, upload and phone-number services) and answers unknown nodes with item-not-found', async () => {
    const items = await get(anna, server.domain, ITEMS);
    assert.equal(items.attrs.type, 'result');
    assert.deepEqual(items.getChild('query', ITEMS)!.getChildren('item').map((i) => i.attrs.jid).sort(), [`conference.${server.domain}`, `msisdn.${server.domain}`, `upload.${server.domain}`]);
    assert.equal(errorCondition(await get(anna, server.domain, INFO, { node: 'nope' })), 'item-not-found');
    assert.equal(errorCondition(await get(anna, server.domain, ITEMS, { node: 'nope' })), 'item-not-found');
  });

  it('answers an IQ namespace nobody handles with service-unavailable', async () => {
    const r = await anna.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: 'urn:example:nothing' })));
    assert.equal(errorCondition(r), 'service-unavailable');
  });

  it('describes an account to itself and to the contacts it shares presence with', async () => {
    const own = (await get(anna, 'anna@localhost', INFO)).getChild('query', INFO)!;
    assert.deepEqual(own.getChildren('identity').map((i) => [i.attrs.category, i.attrs.type]), [['account', 'registered'], ['pubsub', 'pep']], 'an account that is also its PEP service (XEP-0163 §9.1)');
    assert.ok(own.getChildren('feature').some((f) => f.attrs.var === INFO));
    const byContact = await get(ben, 'anna@localhost', INFO);
    assert.equal(byContact.attrs.type, 'result');
    assert.equal(byContact.attrs.from, 'anna@localhost', 'the server answers on behalf of the account');
    const items = (await get(ben, 'anna@localhost', ITEMS)).getChild('query', ITEMS)!;
    assert.deepEqual(items.getChildren('item').map((i) => i.attrs.jid), ['anna@localhost/a'], 'her available resources');
  });

  it('tells nobody else whether an account exists (§8): info unavailable, items empty', async () => {
    assert.equal(errorCondition(await get(stranger, 'anna@localhost', INFO)), 'service-unavailable');
    assert.equal(errorCondition(await get(stranger, 'nobody@localhost', INFO)), 'service-unavailable');
    assert.equal(errorCondition(await get(anna, 'ben@localhost', INFO)), 'service-unavailable', "ben has not shared his presence with anna");
    for (const who of ['anna@localhost', 'nobody@localhost']) {
      const r = await get(stranger, who, ITEMS);
      assert.equal(r.attrs.type, 'result');
      assert.equal(r.getChild('query', ITEMS)!.children.length, 0, who);
    }
  });
});
