/**
 * Interop: an independent client (slixmpp) subscribes to an @xmpp/client user, who approves; the
 * slixmpp client then receives the contact's presence (RFC 6121 §3.1, §3.1.5).
 */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, is, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { runSlixmpp } from '../../../test/harness/slixmpp.js';

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
    const py = runSlixmpp('slix_subscribe.py', server, { jid: 'slixsub@localhost/py', password: 'Slix1234', peer: 'jscontact@localhost' });

    const request = await js.inbox.next(is.presence('slixsub@localhost', 'subscribe'), 20_000, 'the request from slixmpp');
    assert.equal(request.attrs.from, 'slixsub@localhost', 'stamped with the bare JID (§3.1.2)');
    await js.send(xml('presence', { to: 'slixsub@localhost', type: 'subscribed' }));
    const push = await js.inbox.next((el: Element) => is.rosterPush()(el)
      && el.getChild('query', ROSTER)?.getChild('item')?.attrs.jid === 'slixsub@localhost', 5000, 'roster push');
    assert.equal(push.getChild('query', ROSTER)!.getChild('item')!.attrs.subscription, 'from');

    assert.equal(await py.exited, 0, py.output());
    assert.match(py.output(), /subscribed: to=True/);
    assert.match(py.output(), /available: jscontact@localhost\/node/);
  });
});
