/** XEP-0012 against a real server: uptime, and an account's last logout only for those allowed to see it. */
import assert from 'node:assert/strict';
import { connect, createUser, errorCondition, is, RawClient, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

const NS = 'jabber:iq:last';

describe('last activity (XEP-0012) @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  let anna: TestClient;
  let stranger: TestClient;
  const last = (c: TestClient, to: string) => c.iq(xml('iq', { type: 'get', to }, xml('query', { xmlns: NS })));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** `who` shares its presence with anna (subscription 'from' on its side). */
  async function shareWithAnna(who: TestClient, bare: string, available = true): Promise<void> {
    await anna.send(xml('presence', { to: bare, type: 'subscribe' }));
    // Requests reach available resources only; an unavailable one approves the pending request blind.
    if (available) await who.inbox.next(is.presence('anna@localhost', 'subscribe'));
    else await sleep(300);
    await who.send(xml('presence', { to: 'anna@localhost', type: 'subscribed' }));
    await anna.inbox.next(is.presence(bare, 'subscribed'));
  }

  before(async () => {
    server = await startServer();
    for (const u of ['anna', 'ben', 'cleo', 'dora', 'stranger']) await createUser(server, u, `${u}-password`);
    anna = await connect(server, 'anna', 'anna-password', { resource: 'a' });
    stranger = await connect(server, 'stranger', 'stranger-password', { resource: 's' });
  });
  after(async () => {
    await Promise.all([anna, stranger].map((c) => c?.stop()));
    await server?.cleanup();
  });

  it('reports the server uptime in seconds, without text (§5)', async () => {
    const q = (await last(anna, server.domain)).getChild('query', NS)!;
    assert.match(q.attrs.seconds, /^\d+$/);
    assert.ok(Number(q.attrs.seconds) < 600);
    assert.equal(q.text(), '');
  });

  it('to a contact: 0 while online; after logout the seconds since and the last status (§4)', async () => {
    const ben = await connect(server, 'ben', 'ben-password', { resource: 'b' });
    await shareWithAnna(ben, 'ben@localhost');
    const online = (await last(anna, 'ben@localhost')).getChild('query', NS)!;
    assert.equal(online.attrs.seconds, '0');
    await ben.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'gone fishing')));
    await ben.stop();
    await sleep(300);
    const off = (await last(anna, 'ben@localhost')).getChild('query', NS)!;
    assert.ok(Number(off.attrs.seconds) >= 0 && Number(off.attrs.seconds) < 10, off.toString());
    assert.equal(off.text(), 'gone fishing');

    // Available again, then gone without a word: the earlier status no longer applies.
    const again = await connect(server, 'ben', 'ben-password', { resource: 'b2' });
    await again.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'brb')));
    await again.send(xml('presence'));
    await again.stop();
    await sleep(300);
    assert.equal((await last(anna, 'ben@localhost')).getChild('query', NS)!.text(), '');
  });

  it('to the account itself: allowed', async () => {
    const own = await last(anna, 'anna@localhost');
    assert.equal(own.getChild('query', NS)!.attrs.seconds, '0');
  });

  it('to anyone else: forbidden, whether or not the account exists', async () => {
    assert.equal(errorCondition(await last(stranger, 'ben@localhost')), 'forbidden');
    assert.equal(errorCondition(await last(stranger, 'nobody@localhost')), 'forbidden');
    assert.equal(errorCondition(await last(stranger, 'anna@localhost')), 'forbidden');
  });

  it('a contact that never logged out has nothing to report: service-unavailable', async () => {
    const cleo = await connect(server, 'cleo', 'cleo-password', { resource: 'c', presence: false });
    await shareWithAnna(cleo, 'cleo@localhost', false);
    // cleo is connected but not available, and has never ended a session.
    assert.equal(errorCondition(await last(anna, 'cleo@localhost')), 'service-unavailable');
    await cleo.stop();
  });

  it('forgets an account that is removed: the same name registered again has no past', async () => {
    const dora = await connect(server, 'dora', 'dora-password', { resource: 'd' });
    await shareWithAnna(dora, 'dora@localhost');
    await dora.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'old news')));
    await dora.stop();
    await sleep(300);
    assert.equal((await last(anna, 'dora@localhost')).getChild('query', NS)!.text(), 'old news');

    const raw = await RawClient.connect(server.port);
    await raw.login('dora', 'dora-password');
    raw.write(`<iq type='set' id='rm'><query xmlns='jabber:iq:register'><remove/></query></iq>`);
    assert.equal((await raw.inbox.next((el) => el.attrs.id === 'rm')).attrs.type, 'result');
    await raw.closed;
    await sleep(300);

    await createUser(server, 'dora', 'dora-password');
    const reborn = await connect(server, 'dora', 'dora-password', { resource: 'd2', presence: false });
    await shareWithAnna(reborn, 'dora@localhost', false);
    assert.equal(errorCondition(await last(anna, 'dora@localhost')), 'service-unavailable');
    await reborn.stop();
  });
});
