/**
 * The seed's use cases end to end with real clients (OMA mobile IM requirements):
 * 5.1 setting up my IM service, 5.6 notification (and its alternative flow: privacy), 5.11 modify contact entry,
 * 5.13 mobile originated chat (with offline messaging).
 */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, errorCondition, is, register, type TestClient, xml } from '../harness/clients.js';
import { startServer, type TestServer } from '../harness/server.js';
import { runSlixmpp } from '../harness/slixmpp.js';

const ROSTER = 'jabber:iq:roster';

function rosterItem(push: Element, jid: string): Element | undefined {
  return push.getChild('query', ROSTER)?.getChildren('item').find((i) => i.attrs.jid === jid);
}

describe('seed use cases @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  const clients: TestClient[] = [];
  const track = (c: TestClient) => { clients.push(c); return c; };

  before(async () => {
    // The seed's example policy (5.1 step 11): screen names of 5–10 letters and digits, passwords of 6–8.
    server = await startServer({
      config: {
        hosts: [{
          domain: 'localhost', registration: 'open',
          username_policy: { min_length: 5, max_length: 10, pattern: '^[A-Za-z0-9]+$' },
          password_policy: { min_length: 6, max_length: 8 },
        }],
      },
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });
  after(async () => { await server?.cleanup(); });

  it('5.1: Bob signs up, adds Jan while she is offline; hours later she approves and they chat', async () => {
    // Steps 11–15: the policy is enforced, the unique name accepted.
    const tooShort = await register(server, 'bob', 'Divedeep');
    assert.equal(errorCondition(tooShort), 'not-acceptable');
    const badPassword = await register(server, 'scubabob', 'Divedeeper');
    assert.equal(errorCondition(badPassword), 'not-acceptable');
    assert.equal((await register(server, 'scubabob', 'Divedeep')).attrs.type, 'result');
    assert.equal(errorCondition(await register(server, 'scubabob', 'Other12')), 'conflict', 'the screen name must be unique');
    await createUser(server, 'scubajan', 'Jan2dive');

    // Steps 17–27: Bob adds Jan; the entry shows as waiting for approval.
    const bob = track(await connect(server, 'scubabob', 'Divedeep', { resource: 'phone' }));
    await bob.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
    const set = await bob.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, xml('item', { jid: 'scubajan@localhost', name: 'Jan' }, xml('group', {}, 'Divers')))));
    assert.equal(set.attrs.type, 'result');
    await bob.send(xml('presence', { to: 'scubajan@localhost', type: 'subscribe' }));
    const pending = await bob.inbox.next((el) => is.rosterPush()(el) && rosterItem(el, 'scubajan@localhost')?.attrs.ask === 'subscribe', 5000, 'pending-out roster push');
    assert.equal(rosterItem(pending, 'scubajan@localhost')!.attrs.subscription, 'none');

    // Steps 32–35: Jan logs in later and is asked.
    const jan = track(await connect(server, 'scubajan', 'Jan2dive', { resource: 'desk' }));
    const request = await jan.inbox.next(is.presence('scubabob@localhost', 'subscribe'), 5000, 'stored subscription request');
    assert.equal(request.attrs.from, 'scubabob@localhost');

    // Step 35–38: Jan approves and subscribes back; Bob sees her online and is told.
    await jan.send(xml('presence', { to: 'scubabob@localhost', type: 'subscribed' }));
    await jan.send(xml('presence', { to: 'scubabob@localhost', type: 'subscribe' }));
    const approved = await bob.inbox.next((el) => is.rosterPush()(el) && rosterItem(el, 'scubajan@localhost')?.attrs.subscription === 'to', 5000, 'roster push subscription=to');
    assert.equal(rosterItem(approved, 'scubajan@localhost')!.attrs.name, 'Jan');
    await bob.inbox.next(is.presence('scubajan@localhost', 'subscribed'), 5000, 'subscribed notice');
    await bob.inbox.next(is.presence('scubajan@localhost/desk', undefined), 5000, "Jan's presence");
    await bob.inbox.next(is.presence('scubajan@localhost', 'subscribe'), 5000, "Jan's request");
    await bob.send(xml('presence', { to: 'scubajan@localhost', type: 'subscribed' }));
    await jan.inbox.next(is.presence('scubabob@localhost/phone', undefined), 5000, "Bob's presence at Jan");

    // Steps 39–42: they chat.
    await bob.send(xml('message', { to: 'scubajan@localhost', type: 'chat' }, xml('body', {}, 'coffee?')));
    const m = await jan.inbox.next(is.chat('coffee?'));
    assert.equal(m.attrs.from, 'scubabob@localhost/phone');
    await jan.send(xml('message', { to: m.attrs.from, type: 'chat' }, xml('body', {}, 'yes!')));
    await bob.inbox.next(is.chat('yes!'));

    // Bob's roster now shows Jan with mutual subscription.
    const roster = await bob.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
    const item = rosterItem(roster, 'scubajan@localhost')!;
    assert.equal(item.attrs.subscription, 'both');
    assert.equal(item.getChildText('group'), 'Divers');
  });

  it('5.6: Sam is notified of Betty\'s message and his acknowledgement reaches her', async () => {
    await createUser(server, 'samtheman', 'Sam123');
    await createUser(server, 'bettybopp', 'Betty12');
    const sam = track(await connect(server, 'samtheman', 'Sam123', { resource: 'belt' }));
    const betty = track(await connect(server, 'bettybopp', 'Betty12', { resource: 'phone' }));
    await betty.send(xml('message', { to: 'samtheman@localhost', type: 'chat', id: 'evening-1' },
      xml('body', {}, 'sam r u coming this evening?'), xml('request', { xmlns: 'urn:xmpp:receipts' })));
    const m = await sam.inbox.next(is.chat('sam r u coming this evening?'));
    assert.equal(m.attrs.from, 'bettybopp@localhost/phone');
    assert.ok(m.getChild('request', 'urn:xmpp:receipts'));
    // XEP-0184: the delivery acknowledgement travels back to the sender.
    await sam.send(xml('message', { to: m.attrs.from }, xml('received', { xmlns: 'urn:xmpp:receipts', id: 'evening-1' })));
    const receipt = await betty.inbox.next((el) => el.name === 'message' && el.getChild('received', 'urn:xmpp:receipts') !== undefined);
    assert.equal(receipt.getChild('received')!.attrs.id, 'evening-1');
    assert.equal(receipt.attrs.from, 'samtheman@localhost/belt');
  });

  it('5.6 alternative flow: Sam declines Betty; she is told he is unavailable, he is told she tried', async () => {
    const sam = track(await connect(server, 'samtheman', 'Sam123', { resource: 'belt' }));
    const betty = track(await connect(server, 'bettybopp', 'Betty12', { resource: 'phone' }));
    // Step 6's privacy setting, made with the server's ad-hoc command (XEP-0050) as a client would.
    const NS_CMD = 'http://jabber.org/protocol/commands';
    const node = 'urn:x-tern:privacy:0#settings';
    const form = await sam.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('command', { xmlns: NS_CMD, node, action: 'execute' })));
    const sessionid = form.getChild('command', NS_CMD)!.attrs.sessionid as string;
    const done = await sam.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('command', { xmlns: NS_CMD, node, sessionid, action: 'complete' },
      xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
        xml('field', { var: 'messages' }, xml('value', {}, 'contacts')),
        xml('field', { var: 'refused' }, xml('value', {}, 'notify'))))));
    assert.equal(done.getChild('command', NS_CMD)!.attrs.status, 'completed');
    await betty.send(xml('message', { to: 'samtheman@localhost', type: 'chat', id: 'evening-2' }, xml('body', {}, 'sam r u coming this evening?')));
    // Step 7/9: Betty gets "unavailable".
    const bounce = await betty.inbox.next((el) => el.attrs.id === 'evening-2');
    assert.equal(bounce.attrs.type, 'error');
    assert.equal(errorCondition(bounce), 'service-unavailable');
    // Step 8/10: Sam gets "attempted contact from bettybopp", and not the message.
    const notice = await sam.inbox.next((el) => el.name === 'message' && el.attrs.from === 'localhost');
    assert.equal(notice.getChildText('body'), 'attempted contact from bettybopp@localhost');
    await sam.inbox.none(is.chat('sam r u coming this evening?'), 200);
  });

  it('5.11: contacts are added, renamed and regrouped, with the updated list pushed', async () => {
    await createUser(server, 'usera', 'Apass1');
    await createUser(server, 'crazygirl', 'Cpass1');
    await createUser(server, 'curlytop', 'Cpass2');
    const a = track(await connect(server, 'usera', 'Apass1', { resource: 'mobile' }));
    const other = track(await connect(server, 'usera', 'Apass1', { resource: 'desktop' }));
    for (const c of [a, other]) await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
    const setItem = (jid: string, name: string, group: string) =>
      a.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, xml('item', { jid, name }, xml('group', {}, group)))));
    assert.equal((await setItem('crazygirl@localhost', 'Crazy-Girl', 'disco dancing')).attrs.type, 'result');
    assert.equal((await setItem('curlytop@localhost', 'Curly-Top', 'disco dancing')).attrs.type, 'result');
    // Steps 7–10: rename, and move one of them to another group.
    assert.equal((await setItem('crazygirl@localhost', 'Pretty-Girl', 'disco dancing')).attrs.type, 'result');
    assert.equal((await setItem('curlytop@localhost', 'No-Hair', 'friends')).attrs.type, 'result');
    const push = await other.inbox.next((el) => is.rosterPush()(el) && rosterItem(el, 'curlytop@localhost')?.attrs.name === 'No-Hair', 5000, 'rename push on the other device');
    assert.equal(rosterItem(push, 'curlytop@localhost')!.getChildText('group'), 'friends');
    const roster = await other.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
    assert.equal(rosterItem(roster, 'crazygirl@localhost')!.attrs.name, 'Pretty-Girl');
    assert.equal(rosterItem(roster, 'curlytop@localhost')!.attrs.name, 'No-Hair');
    assert.deepEqual(rosterItem(roster, 'curlytop@localhost')!.getChildren('group').map((g) => g.text()), ['friends']);
  });

  it('5.13: Bob chats with Sue; when she is offline, his messages wait and arrive in order', async () => {
    await createUser(server, 'bobmobile', 'Bob123');
    await createUser(server, 'suemobile', 'Sue123');
    const bob = track(await connect(server, 'bobmobile', 'Bob123', { resource: 'phone' }));
    let sue = track(await connect(server, 'suemobile', 'Sue123', { resource: 'phone' }));
    await bob.send(xml('message', { to: 'suemobile@localhost', type: 'chat' }, xml('body', {}, 'hi Sue')));
    await sue.inbox.next(is.chat('hi Sue'));
    await sue.send(xml('message', { to: 'bobmobile@localhost', type: 'chat' }, xml('body', {}, 'hi Bob')));
    await bob.inbox.next(is.chat('hi Bob'));

    await sue.stop();
    clients.splice(clients.indexOf(sue), 1);
    await new Promise((r) => setTimeout(r, 200));
    const texts = Array.from({ length: 20 }, (_, i) => `offline ${i}`);
    for (const t of texts) await bob.send(xml('message', { to: 'suemobile@localhost', type: 'chat' }, xml('body', {}, t)));
    await bob.iq(xml('iq', { type: 'get', to: server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await bob.inbox.none((el) => el.name === 'message' && el.attrs.type === 'error', 200);

    sue = track(await connect(server, 'suemobile', 'Sue123', { resource: 'phone' }));
    const got: Element[] = [];
    for (let i = 0; i < texts.length; i++) got.push(await sue.inbox.next(is.chat(), 5000, `offline message ${i}`));
    assert.deepEqual(got.map((m) => m.getChildText('body')), texts);
    for (const m of got) assert.ok(m.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp, 'stored messages carry a XEP-0203 delay stamp');
    await sue.inbox.none((el) => el.name === 'message', 300);
  });

  it('5.13 with an independent client: slixmpp and @xmpp/client chat both ways', async () => {
    await createUser(server, 'slixuser', 'Slix12');
    await createUser(server, 'jsuser', 'Jsuser1');
    const js = track(await connect(server, 'jsuser', 'Jsuser1', { resource: 'node' }));
    const py = runSlixmpp('slix_chat.py', server, { jid: 'slixuser@localhost/py', password: 'Slix12', peer: 'jsuser@localhost/node' });
    const fromPy = await js.inbox.next(is.chat('hello from slixmpp'), 20_000, 'slixmpp message');
    assert.equal(fromPy.attrs.from, 'slixuser@localhost/py');
    await js.send(xml('message', { to: fromPy.attrs.from, type: 'chat' }, xml('body', {}, 'hello from node')));
    assert.equal(await py.exited, 0, py.output());
    assert.match(py.output(), /received: hello from node/);
  });
});
