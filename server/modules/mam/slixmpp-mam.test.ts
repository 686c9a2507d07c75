/** Interop: slixmpp's XEP-0313 and XEP-0059 plugins read an archive Tern filled. */
import assert from 'node:assert/strict';
import { connect, createUser, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { runSlixmpp } from '../../../test/harness/slixmpp.js';

describe('slixmpp pages through its archive @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => { server = await startServer(); });
  after(async () => { await server?.cleanup(); });

  it('gets the form, then every message forward and backward (from the last page) in pages of two', async () => {
    await createUser(server, 'slix', 'slix-pass');
    await createUser(server, 'bob', 'bob-pass');
    const bob = await connect(server, 'bob', 'bob-pass');
    const bodies = ['one', 'two', 'three', 'four', 'five'];
    for (const b of bodies) await bob.send(xml('message', { to: 'slix@localhost', type: 'chat' }, xml('body', {}, b)));
    await bob.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await bob.stop();
    const py = runSlixmpp('slix_mam.py', server, { jid: 'slix@localhost/py', password: 'slix-pass' });
    assert.equal(await py.exited, 0, py.output());
    const out = py.output();
    assert.match(out, /fields: FORM_TYPE,after-id,before-id,end,ids,start,with/);
    assert.match(out, /forward: one\|two\|three\|four\|five\n/);
    assert.match(out, /last page: four\|five\n/);
    assert.match(out, /page: two\|three first-index=1 count=5 complete=None\n/);
    assert.match(out, /page: one first-index=0 count=5 complete=true\n/);
    assert.match(out, /backward: one\|two\|three\|four\|five\n/);
  });
});
