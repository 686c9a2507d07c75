/** Interop: slixmpp's XEP-0045, XEP-0313 and XEP-0359 plugins read a room archive Tern filled. */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { runSlixmpp } from '../../../test/harness/slixmpp.js';

const ROOM = 'archive@conference.localhost';
const USER = 'http://jabber.org/protocol/muc#user';

describe('slixmpp pages through a room archive @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => { server = await startServer(); });
  after(async () => { await server?.cleanup(); });

  it('gets the room\'s form and every archived message, and its live message carries the archive id', async () => {
    await createUser(server, 'slix', 'slix-pass');
    await createUser(server, 'bob', 'bob-pass');
    const bob = await connect(server, 'bob', 'bob-pass');
    const self = bob.inbox.next((el: Element) => el.name === 'presence' && el.getChild('x', USER)?.getChildren('status').some((s) => s.attrs.code === '110') === true);
    await bob.send(xml('presence', { to: `${ROOM}/Bob` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await self;
    const r = await bob.iq(xml('iq', { type: 'set', to: ROOM }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'muc#roomconfig_enablelogging' }, xml('value', {}, '1'))))));
    assert.equal(r.attrs.type, 'result');
    for (const b of ['one', 'two', 'three', 'four', 'five']) {
      const echo = bob.inbox.next((el: Element) => el.name === 'message' && el.getChildText('body') === b);
      await bob.send(xml('message', { to: ROOM, type: 'groupchat' }, xml('body', {}, b)));
      await echo;
    }
    const py = runSlixmpp('slix_muc_mam.py', server, { jid: 'slix@localhost/py', password: 'slix-pass', room: ROOM });
    assert.equal(await py.exited, 0, py.output());
    const out = py.output();
    assert.match(out, /fields: FORM_TYPE,after-id,before-id,end,ids,start,with/);
    assert.match(out, /archive: Bob:one\|Bob:two\|Bob:three\|Bob:four\|Bob:five\n/);
    const live = /stanza-id by=archive@conference\.localhost id=(\S+)/.exec(out);
    assert.ok(live, out);
    assert.match(out, new RegExp(`last archived id=${live[1]} body=from slixmpp`));
    await bob.stop();
  });
});
