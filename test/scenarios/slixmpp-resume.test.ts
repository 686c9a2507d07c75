/**
 * Interop: slixmpp (an independent client with its own XEP-0198 implementation) loses its
 * connection mid-conversation and resumes; the message sent meanwhile arrives once.
 */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, xml } from '../harness/clients.js';
import { startServer, type TestServer } from '../harness/server.js';
import { runSlixmpp } from '../harness/slixmpp.js';

const isBody = (body: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === body;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('slixmpp resumes a dropped stream (XEP-0198) @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => { server = await startServer(); });
  after(async () => { await server?.cleanup(); });

  it('gets the message sent while it was disconnected, exactly once', async () => {
    await createUser(server, 'slixsm', 'Slix-sm-1234');
    await createUser(server, 'jspeer', 'Js-peer-1234');
    const js = await connect(server, 'jspeer', 'Js-peer-1234', { resource: 'node' });
    try {
      const py = runSlixmpp('slix_resume.py', server, { jid: 'slixsm@localhost/py', password: 'Slix-sm-1234', peer: 'jspeer@localhost' });
      const ready = await js.inbox.next(isBody('ready'), 20_000, "slixmpp's first message");
      const full = ready.attrs.from!;
      await js.send(xml('message', { to: full, type: 'chat' }, xml('body', {}, 'before-drop')));
      const deadline = Date.now() + 10_000;
      while (!/dropping/.test(py.output()) && Date.now() < deadline) await sleep(20);
      await js.send(xml('message', { to: full, type: 'chat' }, xml('body', {}, 'while-away')));
      while (!/resumed/.test(py.output()) && Date.now() < deadline) await sleep(20);
      await js.send(xml('message', { to: full, type: 'chat' }, xml('body', {}, 'last')));
      const report = await js.inbox.next((el) => el.name === 'message' && (el.getChildText('body') ?? '').startsWith('bodies:'), 20_000, 'the report');
      assert.equal(await py.exited, 0, py.output());
      assert.match(py.output(), /enabled: resume=True/);
      assert.equal(report.getChildText('body'), 'bodies: before-drop,while-away,last', py.output());
      // Same session: no second "session started".
      assert.equal(py.output().match(/session started/g)?.length, 1, py.output());
    } finally {
      await js.stop();
    }
  });
});
