/**
 * Interop: an independent client (slixmpp) subscribes to an @xmpp/client user, who approves; the
 * slixmpp client then receives the contact's presence (RFC 6121 §3.1, §3.1.5).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { connect, createUser, type Element, is, type TestClient, xml } from '../../../test/harness/clients.js';
import { ROOT, startServer, type TestServer } from '../../../test/harness/server.js';

const ROSTER = 'jabber:iq:roster';

describe('slixmpp subscribes to an @xmpp/client user @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  let js: TestClient | undefined;

  before(async () => { server = await startServer(); });
  after(async () => {
    await js?.stop();
    await server?.cleanup();
  });

  it('requests, is approved, and sees the contact online', async () => {
    await createUser(server, 'slixsub', 'Slix1234');
    await createUser(server, 'jscontact', 'Jsuser12');
    js = await connect(server, 'jscontact', 'Jsuser12', { resource: 'node' });
    await js.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
    const py = spawn('/usr/bin/python3', [path.join(ROOT, 'test/scenarios/slix_subscribe.py'),
      '--port', String(server.port), '--ca', server.caFile, '--jid', 'slixsub@localhost/py', '--password', 'Slix1234',
      '--peer', 'jscontact@localhost'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    py.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    py.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => py.on('exit', resolve));

    const request = await js.inbox.next(is.presence('slixsub@localhost', 'subscribe'), 20_000, 'the request from slixmpp');
    assert.equal(request.attrs.from, 'slixsub@localhost', 'stamped with the bare JID (§3.1.2)');
    await js.send(xml('presence', { to: 'slixsub@localhost', type: 'subscribed' }));
    const push = await js.inbox.next((el: Element) => is.rosterPush()(el)
      && el.getChild('query', ROSTER)?.getChild('item')?.attrs.jid === 'slixsub@localhost', 5000, 'roster push');
    assert.equal(push.getChild('query', ROSTER)!.getChild('item')!.attrs.subscription, 'from');

    assert.equal(await exited, 0, out);
    assert.match(out, /subscribed: to=True/);
    assert.match(out, /available: jscontact@localhost\/node/);
  });
});
