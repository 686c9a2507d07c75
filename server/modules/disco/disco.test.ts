/** XEP-0030 for the server and accounts, and the small XEPs the server answers (0092, 0199, 0202, 0012). */
import assert from 'node:assert/strict';
import { connect, createUser, errorCondition, is, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

const INFO = 'http://jabber.org/protocol/disco#info';
const ITEMS = 'http://jabber.org/protocol/disco#items';

describe('service discovery and server information @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  let anna: TestClient;
  let ben: TestClient;
  let stranger: TestClient;

  before(async () => {
    server = await startServer();
    for (const u of ['anna', 'ben', 'stranger']) await createUser(server, u, `${u}-password`);
    anna = await connect(server, 'anna', 'anna-password', { resource: 'a' });
    ben = await connect(server, 'ben', 'ben-password', { resource: 'b' });
    stranger = await connect(server, 'stranger', 'stranger-password', { resource: 's' });
    // anna and ben share presence.
    await anna.send(xml('presence', { to: 'ben@localhost', type: 'subscribe' }));
    await ben.inbox.next(is.presence('anna@localhost', 'subscribe'));
    await ben.send(xml('presence', { to: 'anna@localhost', type: 'subscribed' }));
    await ben.send(xml('presence', { to: 'anna@localhost', type: 'subscribe' }));
    await anna.inbox.next(is.presence('ben@localhost', 'subscribe'));
    await anna.send(xml('presence', { to: 'ben@localhost', type: 'subscribed' }));
    await anna.inbox.next(is.presence('ben@localhost', 'subscribed'));
  });
  after(async () => {
    await Promise.all([anna, ben, stranger].map((c) => c?.stop()));
    await server?.cleanup();
  });

  it('describes the server: identity and every feature the modules offer', async () => {
    const r = await anna.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: INFO })));
    const q = r.getChild('query', INFO)!;
    assert.deepEqual(q.getChildren('identity').map((i) => [i.attrs.category, i.attrs.type]), [['server', 'im']]);
    const features = q.getChildren('feature').map((f) => f.attrs.var);
    for (const f of [INFO, ITEMS, 'urn:xmpp:ping', 'jabber:iq:version', 'urn:xmpp:time', 'jabber:iq:last', 'jabber:iq:register', 'msgoffline']) {
      assert.ok(features.includes(f), `feature ${f}`);
    }
    const items = await anna.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: ITEMS })));
    assert.equal(items.attrs.type, 'result');
    const node = await anna.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: INFO, node: 'nope' })));
    assert.equal(errorCondition(node), 'item-not-found');
  });

  it('describes an account to itself and its contacts, and to nobody else', async () => {
    const own = await anna.iq(xml('iq', { type: 'get', to: 'anna@localhost' }, xml('query', { xmlns: INFO })));
    assert.equal(own.getChild('query')!.getChild('identity')!.attrs.type, 'registered');
    const contact = await ben.iq(xml('iq', { type: 'get', to: 'anna@localhost' }, xml('query', { xmlns: INFO })));
    assert.equal(contact.attrs.type, 'result');
    const other = await stranger.iq(xml('iq', { type: 'get', to: 'anna@localhost' }, xml('query', { xmlns: INFO })));
    const missing = await stranger.iq(xml('iq', { type: 'get', to: 'nobody@localhost' }, xml('query', { xmlns: INFO })));
    assert.equal(errorCondition(other), 'service-unavailable');
    assert.equal(errorCondition(missing), 'service-unavailable', 'a stranger cannot tell an existing account from a missing one');
  });

  it('answers ping, version (without the OS) and time', async () => {
    assert.equal((await anna.iq(xml('iq', { type: 'get', to: server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })))).attrs.type, 'result');
    assert.equal((await anna.iq(xml('iq', { type: 'get' }, xml('ping', { xmlns: 'urn:xmpp:ping' })))).attrs.type, 'result');
    const v = (await anna.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: 'jabber:iq:version' })))).getChild('query')!;
    assert.equal(v.getChildText('name'), 'Tern');
    assert.match(v.getChildText('version')!, /^\d+\.\d+\.\d+/);
    assert.equal(v.getChild('os'), undefined);
    const t = (await anna.iq(xml('iq', { type: 'get', to: server.domain }, xml('time', { xmlns: 'urn:xmpp:time' })))).getChild('time')!;
    assert.equal(t.getChildText('tzo'), '+00:00');
    assert.ok(Math.abs(Date.parse(t.getChildText('utc')!) - Date.now()) < 5000);
  });

  it('last activity: uptime for the server; for an account, only its contacts learn when it left', async () => {
    const up = (await anna.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: 'jabber:iq:last' })))).getChild('query')!;
    assert.ok(Number(up.attrs.seconds) >= 0);
    const online = (await anna.iq(xml('iq', { type: 'get', to: 'ben@localhost' }, xml('query', { xmlns: 'jabber:iq:last' })))).getChild('query')!;
    assert.equal(online.attrs.seconds, '0', 'an online contact is active now');
    await ben.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'gone fishing')));
    await ben.stop();
    await new Promise((r) => setTimeout(r, 300));
    const off = (await anna.iq(xml('iq', { type: 'get', to: 'ben@localhost' }, xml('query', { xmlns: 'jabber:iq:last' })))).getChild('query')!;
    assert.ok(Number(off.attrs.seconds) >= 0 && Number(off.attrs.seconds) < 10);
    assert.equal(off.text(), 'gone fishing', 'XEP-0012 §4: the status of the last unavailable presence');
    const denied = await stranger.iq(xml('iq', { type: 'get', to: 'anna@localhost' }, xml('query', { xmlns: 'jabber:iq:last' })));
    assert.equal(errorCondition(denied), 'forbidden');
  });
});
