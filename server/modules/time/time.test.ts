/** XEP-0202 against a real server, and the XEP-0082 format. */
import assert from 'node:assert/strict';
import { connect, createUser, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { NS_TIME, utcDateTime } from './entity-time.js';

const DATETIME_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe('entity time (XEP-0202)', () => {
  it('formats XEP-0082 DateTime in UTC, whole seconds', () => {
    assert.equal(utcDateTime(new Date(Date.UTC(2009, 8, 11, 1, 2, 3, 456))), '2009-09-11T01:02:03Z');
  });

  describe('@e2e', function () {
    this.timeout(30_000);
    let server: TestServer;
    let c: TestClient;
    before(async () => {
      server = await startServer();
      await createUser(server, 'clock', 'clock-password');
      c = await connect(server, 'clock', 'clock-password');
    });
    after(async () => {
      await c?.stop();
      await server?.cleanup();
    });

    it('answers with tzo +00:00 and the current UTC time (§3)', async () => {
      const t = (await c.iq(xml('iq', { type: 'get', to: server.domain }, xml('time', { xmlns: NS_TIME })))).getChild('time', NS_TIME)!;
      assert.equal(t.getChildText('tzo'), '+00:00');
      const utc = t.getChildText('utc')!;
      assert.match(utc, DATETIME_UTC);
      assert.ok(Math.abs(Date.parse(utc) - Date.now()) < 5000);
    });
  });
});
