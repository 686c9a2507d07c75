/** Interop: slixmpp's XEP-0054 plugin publishes and reads back a vCard (several TEL/EMAIL, a PHOTO). */
import assert from 'node:assert/strict';
import { createUser } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { runSlixmpp } from '../../../test/harness/slixmpp.js';

describe('slixmpp vCard-temp @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => {
    server = await startServer();
    await createUser(server, 'slixv', 'slixv-password');
  });
  after(async () => { await server?.cleanup(); });

  it('round-trips a vCard with the XEP-0054 plugin; a missing account is service-unavailable', async () => {
    const py = runSlixmpp('slix_vcard.py', server, { jid: 'slixv@localhost/py', password: 'slixv-password', other: 'nobody@localhost' });
    assert.equal(await py.exited, 0, py.output());
    assert.match(py.output(), /own: fn=Slix Tester nick=\['slixy'\] tels=\+1 555 0001,\+1 555 0002 emails=slix@example.org,slix@work.example photo=True/);
    assert.match(py.output(), /other: service-unavailable/);
  });
});
