/** XEP-0199 against a real server: pings to the server and to the own account are answered. */
import assert from 'node:assert/strict';
import { connect, createUser, errorCondition, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

describe('ping (XEP-0199) @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  let c: TestClient;
  before(async () => {
    server = await startServer();
    await createUser(server, 'pinger', 'pinger-password');
    c = await connect(server, 'pinger', 'pinger-password');
  });
  after(async () => {
    await c?.stop();
    await server?.cleanup();
  });

  const ping = (to?: string) => c.iq(xml('iq', to ? { type: 'get', to } : { type: 'get' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));

  it('answers a client-to-server ping with an empty result (§4.2)', async () => {
    const r = await ping(server.domain);
    assert.equal(r.attrs.type, 'result');
    assert.equal(r.attrs.from, server.domain);
    assert.equal(r.children.length, 0);
  });

  it("answers pings to the user's own account, with or without a 'to'", async () => {
    assert.equal((await ping()).attrs.type, 'result');
    assert.equal((await ping('pinger@localhost')).attrs.type, 'result');
  });

  it('answers a ping of type set with service-unavailable: only get is defined (§3)', async () => {
    const set = await c.iq(xml('iq', { type: 'set', to: server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(errorCondition(set), 'service-unavailable');
  });
});
