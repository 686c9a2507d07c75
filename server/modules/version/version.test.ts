/** XEP-0092 against a real server, and the answer's shape. */
import assert from 'node:assert/strict';
import { connect, createUser, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { TERN_VERSION } from '../../version.js';
import { NS_VERSION, versionElement } from './software.js';

describe('software version (XEP-0092)', () => {
  it('names the software and version; the OS only when enabled', () => {
    const o = { name: 'Tern', version: '1.2.3', includeOs: false };
    assert.equal(versionElement(o).toString(), `<query xmlns="${NS_VERSION}"><name>Tern</name><version>1.2.3</version></query>`);
    assert.equal(versionElement({ ...o, includeOs: true }, () => 'Linux 6.1').getChildText('os'), 'Linux 6.1');
  });

  describe('@e2e', function () {
    this.timeout(30_000);
    let server: TestServer;
    let c: TestClient;
    before(async () => {
      server = await startServer();
      await createUser(server, 'asker', 'asker-password');
      c = await connect(server, 'asker', 'asker-password');
    });
    after(async () => {
      await c?.stop();
      await server?.cleanup();
    });

    it('answers with the name and package version, without the OS (§5)', async () => {
      const q = (await c.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: NS_VERSION })))).getChild('query', NS_VERSION)!;
      assert.equal(q.getChildText('name'), 'Tern');
      assert.equal(q.getChildText('version'), TERN_VERSION);
      assert.match(TERN_VERSION, /^\d+\.\d+\.\d+/);
      assert.equal(q.getChild('os'), undefined);
    });
  });
});
