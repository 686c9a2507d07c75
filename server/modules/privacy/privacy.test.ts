/**
 * Privacy settings through the XEP-0050 command, the seed's 5.6 alternative flow, presence probes
 * from non-contacts, and anonymous senders (PP-22/23), with real clients (and slixmpp for the command).
 */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, errorCondition, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { runSlixmpp } from '../../../test/harness/slixmpp.js';

const NS_CMD = 'http://jabber.org/protocol/commands';
const NODE = 'urn:x-tern:privacy:0#settings';
const NS_ANON = 'urn:x-tern:anonymous:0';
const PASS = 'secret-pass';

const execute = (domain: string, attrs: Record<string, string> = {}, ...children: Element[]) =>
  xml('iq', { type: 'set', to: domain }, xml('command', { xmlns: NS_CMD, node: NODE, ...attrs }, ...children));
const submitForm = (fields: Record<string, string>) => xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
  xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'urn:x-tern:privacy:0')),
  ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))));
const appCondition = (el: Element) => el.getChild('error')?.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS_CMD)?.name;
const isBody = (body: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === body;
const isNotice = (el: Element) => el.name === 'message' && el.getChild('attempted-contact', 'urn:x-tern:privacy:0') !== undefined;

/** Runs the privacy command to completion with `fields`. */
async function setPrivacy(c: TestClient, domain: string, fields: Record<string, string>): Promise<Element> {
  const first = await c.iq(execute(domain));
  assert.equal(first.attrs.type, 'result', first.toString());
  const cmd = first.getChild('command', NS_CMD)!;
  assert.equal(cmd.attrs.status, 'executing');
  const done = await c.iq(execute(domain, { sessionid: cmd.attrs.sessionid, action: 'complete' }, submitForm(fields)));
  assert.equal(done.attrs.type, 'result', done.toString());
  assert.equal(done.getChild('command', NS_CMD)!.attrs.status, 'completed');
  return done;
}

async function addContact(c: TestClient, jid: string): Promise<void> {
  const r = await c.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid }))));
  assert.equal(r.attrs.type, 'result');
}

describe('privacy settings and ad-hoc commands @e2e', function () {
  this.timeout(40_000);
  let server: TestServer;
  let sam: TestClient;
  let betty: TestClient;
  let jan: TestClient;

  before(async () => {
    server = await startServer();
    for (const u of ['samtheman', 'bettybopp', 'jan', 'slixsam']) await createUser(server, u, PASS);
    sam = await connect(server, 'samtheman', PASS, { resource: 'phone' });
    betty = await connect(server, 'bettybopp', PASS, { resource: 'mobile' });
    jan = await connect(server, 'jan', PASS, { resource: 'laptop' });
    await addContact(sam, 'jan@localhost');
  });
  after(async () => {
    await Promise.all([sam, betty, jan].map((c) => c?.stop()));
    await server?.cleanup();
  });
  afterEach(() => { for (const c of [sam, betty, jan]) c?.inbox.clear(); });

  it('lists the privacy command under the commands node and describes it (XEP-0050 §2.1, §2.2)', async () => {
    const info = await sam.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === NS_CMD));
    const items = await sam.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: NS_CMD })));
    const item = items.getChild('query')!.getChildren('item').find((i) => i.attrs.node === NODE);
    assert.ok(item, items.toString());
    assert.equal(item.attrs.jid, server.domain);
    assert.equal(item.attrs.name, 'Privacy settings');
    const nodeInfo = await sam.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: NODE })));
    const id = nodeInfo.getChild('query')!.getChild('identity')!;
    assert.deepEqual([id.attrs.category, id.attrs.type], ['automation', 'command-node']);
  });

  it('shows the current settings as a form with defaults', async () => {
    const first = await sam.iq(execute(server.domain));
    const form = first.getChild('command', NS_CMD)!.getChild('x', 'jabber:x:data')!;
    assert.equal(form.attrs.type, 'form');
    const value = (v: string) => form.getChildren('field').find((f) => f.attrs.var === v)?.getChildText('value');
    assert.equal(value('messages'), 'everyone');
    assert.equal(value('refused'), 'bounce');
    assert.equal(value('presence'), 'contacts');
    assert.equal(value('anonymous'), undefined, 'not offered: the host does not allow anonymous senders');
    assert.ok(first.getChild('command', NS_CMD)!.getChild('actions')!.getChild('complete'));
    const cancel = await sam.iq(execute(server.domain, { sessionid: first.getChild('command', NS_CMD)!.attrs.sessionid, action: 'cancel' }));
    assert.equal(cancel.getChild('command', NS_CMD)!.attrs.status, 'canceled');
  });

  it('answers the XEP-0050 §4.4 errors', async () => {
    const unknown = await sam.iq(xml('iq', { type: 'set', to: server.domain }, xml('command', { xmlns: NS_CMD, node: 'no-such-command' })));
    assert.equal(errorCondition(unknown), 'item-not-found');
    const badSession = await sam.iq(execute(server.domain, { sessionid: 'made-up', action: 'complete' }, submitForm({ messages: 'nobody' })));
    assert.equal(errorCondition(badSession), 'bad-request');
    assert.equal(appCondition(badSession), 'bad-sessionid');
    const badAction = await sam.iq(execute(server.domain, { action: 'jump' }));
    assert.equal(errorCondition(badAction), 'bad-request');
    assert.equal(appCondition(badAction), 'malformed-action');
    // Another user cannot continue Sam's session.
    const first = await sam.iq(execute(server.domain));
    const sid = first.getChild('command', NS_CMD)!.attrs.sessionid as string;
    const stolen = await betty.iq(execute(server.domain, { sessionid: sid, action: 'complete' }, submitForm({ messages: 'nobody' })));
    assert.equal(appCondition(stolen), 'bad-sessionid');
    const badValue = await sam.iq(execute(server.domain, { sessionid: sid, action: 'complete' }, submitForm({ messages: 'martians' })));
    assert.equal(errorCondition(badValue), 'bad-request');
    assert.equal(appCondition(badValue), 'bad-payload');
    const noForm = await sam.iq(execute(server.domain, { sessionid: sid, action: 'complete' }));
    assert.equal(appCondition(noForm), 'bad-payload');
    const anon = await sam.iq(execute(server.domain, { sessionid: sid, action: 'complete' }, submitForm({ anonymous: '1' })));
    assert.equal(errorCondition(anon), 'not-allowed');
  });

  it('seed 5.6 alternative flow: Sam declines non-contacts; Betty is told he is unavailable; Sam learns she tried', async () => {
    await setPrivacy(sam, server.domain, { messages: 'contacts', refused: 'notify' });
    await betty.send(xml('message', { to: 'samtheman@localhost', type: 'chat', id: 'bb1' }, xml('body', {}, 'sam r u coming this evening?')));
    const bounce = await betty.inbox.next((el) => el.attrs.id === 'bb1');
    assert.equal(bounce.attrs.type, 'error');
    assert.equal(errorCondition(bounce), 'service-unavailable');
    assert.equal(bounce.getChild('error')!.attrs.type, 'cancel');
    const notice = await sam.inbox.next(isNotice);
    assert.equal(notice.attrs.from, 'localhost');
    assert.equal(notice.getChildText('body'), 'attempted contact from bettybopp@localhost');
    assert.equal(notice.getChild('attempted-contact', 'urn:x-tern:privacy:0')!.attrs.jid, 'bettybopp@localhost');
    await sam.inbox.none(isBody('sam r u coming this evening?'), 200);
    // Jan is on Sam's list and gets through.
    await jan.send(xml('message', { to: 'samtheman@localhost', type: 'chat' }, xml('body', {}, 'see you at eight')));
    await sam.inbox.next(isBody('see you at eight'));
  });

  it('Betty learns nothing more: the same error as for an account that does not exist', async () => {
    await betty.send(xml('message', { to: 'samtheman@localhost', type: 'chat', id: 'x1' }, xml('body', {}, 'again')));
    await betty.send(xml('message', { to: 'nobody-such@localhost', type: 'chat', id: 'x2' }, xml('body', {}, 'again')));
    const a = await betty.inbox.next((el) => el.attrs.id === 'x1');
    const b = await betty.inbox.next((el) => el.attrs.id === 'x2');
    assert.equal(a.getChild('error')!.toString(), b.getChild('error')!.toString());
    // A second attempt within the window makes no second notice.
    await sam.inbox.none(isNotice, 300);
  });

  it('stores the notice offline when Sam is not online', async () => {
    await sam.stop();
    const other = await connect(server, 'jan', PASS, { resource: 'desk' });
    await other.stop();
    // A different sender, so the notice window does not apply.
    const stranger = 'strangerdanger';
    await createUser(server, stranger, PASS);
    const s = await connect(server, stranger, PASS);
    await s.send(xml('message', { to: 'samtheman@localhost', type: 'chat', id: 's1' }, xml('body', {}, 'hi sam')));
    assert.equal(errorCondition(await s.inbox.next((el) => el.attrs.id === 's1')), 'service-unavailable');
    await s.stop();
    sam = await connect(server, 'samtheman', PASS, { resource: 'phone' });
    const notice = await sam.inbox.next(isNotice);
    assert.equal(notice.getChildText('body'), `attempted contact from ${stranger}@localhost`);
    assert.ok(notice.getChild('delay', 'urn:xmpp:delay'), 'came from offline storage');
  });

  it('drops silently when asked to, and refuses everyone with "nobody"', async () => {
    await setPrivacy(sam, server.domain, { messages: 'nobody', refused: 'drop' });
    await jan.send(xml('message', { to: 'samtheman@localhost', type: 'chat', id: 'j1' }, xml('body', {}, 'dropped')));
    await jan.inbox.none((el) => el.attrs.id === 'j1', 300);
    await sam.inbox.none(isBody('dropped'), 0);
    await setPrivacy(sam, server.domain, { messages: 'everyone', refused: 'bounce' });
    await betty.send(xml('message', { to: 'samtheman@localhost', type: 'chat' }, xml('body', {}, 'open again')));
    await sam.inbox.next(isBody('open again'));
  });

  it('answers probes from non-contacts only with presence = everyone', async () => {
    const fromSam = (el: Element) => el.name === 'presence' && (el.attrs.from as string).startsWith('samtheman@');
    await betty.send(xml('presence', { to: 'samtheman@localhost', type: 'probe' }));
    await betty.inbox.none(fromSam, 300);
    await setPrivacy(sam, server.domain, { presence: 'everyone' });
    await betty.send(xml('presence', { to: 'samtheman@localhost', type: 'probe' }));
    const shown = await betty.inbox.next(fromSam);
    assert.equal(shown.attrs.from, 'samtheman@localhost/phone');
    assert.equal(shown.attrs.type, undefined);
  });

  it('refuses anonymous messages where the host does not offer them (PP-23)', async () => {
    await betty.send(xml('message', { to: 'samtheman@localhost', type: 'chat', id: 'a1' }, xml('body', {}, 'guess who'), xml('anonymous', { xmlns: NS_ANON })));
    const err = await betty.inbox.next((el) => el.attrs.id === 'a1');
    assert.equal(errorCondition(err), 'not-allowed');
    await sam.inbox.none(isBody('guess who'), 200);
  });

  it('works with slixmpp: lists the commands and submits the form (XEP-0050)', async () => {
    const run = runSlixmpp('slix_adhoc.py', server, { jid: 'slixsam@localhost', password: PASS, messages: 'contacts', refused: 'bounce' });
    assert.equal(await run.exited, 0, run.output());
    assert.match(run.output(), new RegExp(`commands: \\[.*'${NODE}'`));
    assert.match(run.output(), /status: executing\nstatus: completed/);
    await betty.send(xml('message', { to: 'slixsam@localhost', type: 'chat', id: 'sx' }, xml('body', {}, 'hello slix')));
    assert.equal(errorCondition(await betty.inbox.next((el) => el.attrs.id === 'sx')), 'service-unavailable');
  });
});

describe('anonymous senders (PP-22/23) @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  let sam: TestClient;
  let betty: TestClient;
  let jan: TestClient;

  before(async () => {
    server = await startServer({ config: { hosts: [{ domain: 'localhost', registration: 'open', privacy: { anonymous_messages: true } }] } });
    for (const u of ['samtheman', 'bettybopp', 'jan']) await createUser(server, u, PASS);
    sam = await connect(server, 'samtheman', PASS, { resource: 'phone' });
    betty = await connect(server, 'bettybopp', PASS, { resource: 'mobile' });
    jan = await connect(server, 'jan', PASS, { resource: 'laptop' });
  });
  after(async () => {
    await Promise.all([sam, betty, jan].map((c) => c?.stop()));
    await server?.cleanup();
  });

  const anonMessage = (to: string, id: string, body: string) =>
    xml('message', { to, type: 'chat', id }, xml('body', {}, body), xml('anonymous', { xmlns: NS_ANON }), xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Betty'));

  it('refuses with not-allowed while the recipient has not opted in, as for a user that does not exist', async () => {
    await betty.send(anonMessage('samtheman@localhost', 'n1', 'secret admirer'));
    await betty.send(anonMessage('nobody-such@localhost', 'n2', 'secret admirer'));
    const a = await betty.inbox.next((el) => el.attrs.id === 'n1');
    const b = await betty.inbox.next((el) => el.attrs.id === 'n2');
    assert.equal(errorCondition(a), 'not-allowed');
    assert.equal(a.getChild('error')!.toString(), b.getChild('error')!.toString());
    await sam.inbox.none(isBody('secret admirer'), 200);
  });

  it('delivers with the address hidden once the recipient accepts, and replies reach the sender', async () => {
    await setPrivacy(sam, server.domain, { anonymous: '1' });
    await betty.send(anonMessage('samtheman@localhost', 'n3', 'guess who'));
    const got = await sam.inbox.next(isBody('guess who'));
    assert.match(got.attrs.from as string, /^anon-[a-z2-7]{16}@localhost$/);
    assert.ok(got.getChild('anonymous', NS_ANON), 'marked anonymous');
    assert.ok(!got.toString().includes('betty'), `no trace of the sender: ${got.toString()}`);
    // The same alias for the same pair, so a conversation holds together.
    await betty.send(anonMessage('samtheman@localhost', 'n4', 'still me'));
    assert.equal((await sam.inbox.next(isBody('still me'))).attrs.from, got.attrs.from);

    await sam.send(xml('message', { to: got.attrs.from as string, type: 'chat' }, xml('body', {}, 'who is this?')));
    const reply = await betty.inbox.next(isBody('who is this?'));
    assert.equal(reply.attrs.from, 'samtheman@localhost/phone');
    assert.equal(reply.attrs.to, 'bettybopp@localhost');

    // Nobody else can use the alias to reach Betty.
    await jan.send(xml('message', { to: got.attrs.from as string, type: 'chat', id: 'j9' }, xml('body', {}, 'hi anon')));
    assert.equal(errorCondition(await jan.inbox.next((el) => el.attrs.id === 'j9')), 'service-unavailable');
    await betty.inbox.none(isBody('hi anon'), 200);
  });

  it('refuses anonymous messages from a sender the recipient blocks', async () => {
    const r = await sam.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: 'bettybopp@localhost' }))));
    assert.equal(r.attrs.type, 'result');
    await betty.send(anonMessage('samtheman@localhost', 'n5', 'blocked but anonymous'));
    assert.equal(errorCondition(await betty.inbox.next((el) => el.attrs.id === 'n5')), 'not-allowed');
    await sam.inbox.none(isBody('blocked but anonymous'), 200);
  });
});
