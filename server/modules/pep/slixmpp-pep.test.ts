/** Interop: slixmpp's own XEP-0084, XEP-0223 and XEP-0048 plugins against the PEP, private and bookmarks modules. */
import assert from 'node:assert/strict';
import { createUser } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { runSlixmpp } from '../../../test/harness/slixmpp.js';

describe('PEP with slixmpp @e2e', function () {
  this.timeout(40_000);
  let server: TestServer;
  before(async () => {
    server = await startServer();
    await createUser(server, 'slix', 'slix-pass');
  });
  after(async () => { await server?.cleanup(); });

  it('publishes and reads an avatar; bookmarks stored in PEP come back through private XML storage', async () => {
    const run = runSlixmpp('slix_pep.py', server, { jid: `slix@${server.domain}`, password: 'slix-pass' });
    const code = await run.exited;
    const out = run.output();
    assert.equal(code, 0, out);
    assert.match(out, /avatar id=[0-9a-f]{40} same=True/);
    assert.match(out, /stored bookmarks in pep/);
    assert.match(out, /private view: room@conference\.example\|Slix\|True/);
  });
});
