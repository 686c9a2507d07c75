/** Interop: Romeo on slixmpp (its own XEP-0045 plugin) joins Julia's room, gets history, speaks and leaves. */
import assert from 'node:assert/strict';
import { connect, createUser, xml } from '../harness/clients.js';
import { startServer, type TestServer } from '../harness/server.js';
import { codes, USER } from '../harness/muc.js';
import { runSlixmpp } from '../harness/slixmpp.js';

const ROOM = 'verona@conference.localhost';

describe('slixmpp joins a MUC room (XEP-0045) @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.cleanup(); });

  it('enters with history, sees the occupants, speaks and leaves', async () => {
    await createUser(server, 'julia', 'Julia-pass-1');
    await createUser(server, 'romeo', 'Romeo-pass-1');
    const julia = await connect(server, 'julia', 'Julia-pass-1', { resource: 'desk' });
    try {
      await julia.send(xml('presence', { to: `${ROOM}/Julia` }));  // groupchat 1.0 join: an instant room
      const self = await julia.inbox.next((el) => el.name === 'presence' && codes(el).includes('110'));
      assert.deepEqual(codes(self).sort(), ['110', '201']);
      await julia.send(xml('message', { to: ROOM, type: 'groupchat' }, xml('body', {}, 'balcony at nine')));
      await julia.inbox.next((el) => el.getChildText('body') === 'balcony at nine');

      const py = runSlixmpp('slix_muc.py', server, { jid: 'romeo@localhost/py', password: 'Romeo-pass-1', room: ROOM });
      const joined = await julia.inbox.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/Romeo` && !el.attrs.type, 20_000, "Romeo's presence").catch((e) => { throw new Error(`${e}\n${py.output()}`); });
      assert.equal(joined.getChild('x', USER)!.getChild('item')!.attrs.jid, 'romeo@localhost/py');
      const said = await julia.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'hello from slixmpp', 20_000, "Romeo's message").catch(async (e) => { await py.exited; throw new Error(`${e}\n${py.output()}`); });
      assert.equal(said.attrs.from, `${ROOM}/Romeo`);
      await julia.send(xml('message', { to: ROOM, type: 'groupchat' }, xml('body', {}, 'bye')));
      await julia.inbox.next((el) => el.name === 'presence' && el.attrs.from === `${ROOM}/Romeo` && el.attrs.type === 'unavailable', 20_000, 'Romeo leaving');
      assert.equal(await py.exited, 0, py.output());
      assert.match(py.output(), /joined role=participant affiliation=none codes=\[110\]/);
      assert.match(py.output(), /history: balcony at nine\n/);
      assert.match(py.output(), /roster: Julia,Romeo/);
    } finally {
      await julia.stop();
    }
  });
});
