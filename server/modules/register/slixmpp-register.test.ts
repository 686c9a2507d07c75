/**
 * Interop: an independent client (slixmpp's XEP-0077 plugin) registers in-band after STARTTLS,
 * logs in with SCRAM on the same stream and pings the server (XEP-0199).
 */
import assert from 'node:assert/strict';
import { connect } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { runSlixmpp } from '../../../test/harness/slixmpp.js';

describe('slixmpp registers in-band and logs in @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => { server = await startServer(); });
  after(async () => { await server?.cleanup(); });

  it('registers with the XEP-0077 plugin, authenticates with SCRAM and gets a pong', async () => {
    const py = runSlixmpp('slix_register.py', server, { jid: 'slixreg@localhost/py', password: 'Slix-reg-1234' });
    assert.equal(await py.exited, 0, py.output());
    const out = py.output();
    assert.match(out, /form: fields=True,True dataform=True/);
    assert.match(out, /registered: True/);
    assert.match(out, /mechanism: SCRAM-SHA-/);
    assert.match(out, /bound: slixreg@localhost\/py/);
    assert.match(out, /pong: result/);
    // The account is real: another client logs in with it.
    await (await connect(server, 'slixreg', 'Slix-reg-1234')).stop();
  });
});
