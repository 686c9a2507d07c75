/**
 * Durability of offline messages across a crash (XEP-0160 with the seed's MT-3 ordering): what the
 * server has acknowledged by processing later stanzas must survive SIGKILL, and be delivered after
 * the restart in order and exactly once.
 */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, is, type TestClient, xml } from '../harness/clients.js';
import { startServer, type TestServer } from '../harness/server.js';

describe('crash safety of offline messages @e2e', function () {
  this.timeout(120_000);
  let server: TestServer;
  const clients: TestClient[] = [];

  before(async () => {
    server = await startServer();
    await createUser(server, 'crashsender');
    await createUser(server, 'crashrecipient');
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await server?.cleanup();
  });

  it('200 messages stored before a SIGKILL are delivered after the restart, in order, exactly once', async () => {
    const sender = await connect(server, 'crashsender', 'secret-pass', { resource: 's' });
    clients.push(sender);
    const texts = Array.from({ length: 200 }, (_, i) => `before the crash ${i}`);
    await Promise.all(texts.map((t) => sender.send(xml('message', { to: 'crashrecipient@localhost', type: 'chat' }, xml('body', {}, t)))));
    // The server answers the ping only after it has processed every message sent before it.
    const pong = await sender.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), 30_000);
    assert.equal(pong.attrs.type, 'result', pong.toString());
    assert.equal(sender.inbox.all().filter((el) => el.attrs.type === 'error').length, 0, 'every message was accepted');

    await server.kill();
    await sender.stop();
    await server.restart();

    const recipient = await connect(server, 'crashrecipient', 'secret-pass', { resource: 'r' });
    clients.push(recipient);
    const got: Element[] = [];
    for (let i = 0; i < texts.length; i++) got.push(await recipient.inbox.next(is.chat(), 10_000, `stored message ${i}`));
    assert.deepEqual(got.map((m) => m.getChildText('body')), texts);
    await recipient.inbox.none(is.chat(), 1000);

    // Delivered means deleted: the next login gets nothing again.
    await recipient.stop();
    const later = await connect(server, 'crashrecipient', 'secret-pass', { resource: 'r2' });
    clients.push(later);
    await later.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await later.inbox.none(is.chat(), 1000);
  });
});
