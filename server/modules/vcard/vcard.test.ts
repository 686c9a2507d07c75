/** vCard-temp (XEP-0054), avatar hashes in presence (XEP-0153/XEP-0398 §4) and XEP-0172 nicknames, end to end. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, createUser, type Element, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { withPhotoHash } from './presence.js';

const NS = 'vcard-temp';
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const SHA = createHash('sha1').update(PNG).digest('hex');
const cond = (el: Element) => el.getChild('error')?.children.find((c) => typeof c !== 'string' && c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas') as Element | undefined;

function card(extra: Element[] = []): Element {
  return xml('vCard', { xmlns: NS },
    xml('FN', {}, 'Alice Example'), xml('N', {}, xml('FAMILY', {}, 'Example'), xml('GIVEN', {}, 'Alice')),
    xml('NICKNAME', {}, 'ali'),
    xml('TEL', {}, xml('HOME'), xml('VOICE'), xml('NUMBER', {}, '+1 555 0100')),
    xml('TEL', {}, xml('CELL'), xml('NUMBER', {}, '+1 555 0199')),
    xml('EMAIL', {}, xml('INTERNET'), xml('PREF'), xml('USERID', {}, 'alice@example.org')),
    xml('EMAIL', {}, xml('WORK'), xml('USERID', {}, 'alice@work.example')),
    xml('URL', {}, 'https://alice.example/'), xml('URL', {}, 'https://blog.alice.example/'),
    ...extra);
}

describe('vCard-temp and avatars (XEP-0054, XEP-0153, XEP-0398 §4, XEP-0172) @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  let alice: TestClient;
  let bob: TestClient;

  before(async () => {
    server = await startServer();
    await createUser(server, 'alice', 'alice-pass');
    await createUser(server, 'bob', 'bob-pass');
    alice = await connect(server, 'alice', 'alice-pass', { resource: 'a' });
    bob = await connect(server, 'bob', 'bob-pass', { resource: 'b' });
  });
  after(async () => {
    await Promise.all([alice, bob].map((c) => c?.stop()));
    await server?.cleanup();
  });

  it('is advertised on the server', async () => {
    const info = await alice.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === NS));
  });

  it('gives an empty vCard to an account that has none (§3.1)', async () => {
    const r = await alice.iq(xml('iq', { type: 'get' }, xml('vCard', { xmlns: NS })));
    assert.equal(r.attrs.type, 'result');
    const v = r.getChild('vCard', NS)!;
    assert.equal(v.children.length, 0);
  });

  it('stores and returns the whole vCard, several TEL, EMAIL and URL intact (§3.2, PP2-22)', async () => {
    const set = await alice.iq(xml('iq', { type: 'set' }, card()));
    assert.equal(set.attrs.type, 'result', set.toString());
    const own = (await alice.iq(xml('iq', { type: 'get' }, xml('vCard', { xmlns: NS })))).getChild('vCard', NS)!;
    assert.equal(own.toString(), card().toString());
    const other = await bob.iq(xml('iq', { type: 'get', to: 'alice@localhost' }, xml('vCard', { xmlns: NS })));
    assert.equal(other.attrs.from, 'alice@localhost', 'the server answers for the bare JID (§3.3)');
    const v = other.getChild('vCard', NS)!;
    assert.deepEqual(v.getChildren('TEL').map((t) => t.getChildText('NUMBER')), ['+1 555 0100', '+1 555 0199']);
    assert.deepEqual(v.getChildren('EMAIL').map((t) => t.getChildText('USERID')), ['alice@example.org', 'alice@work.example']);
    assert.deepEqual(v.getChildren('URL').map((t) => t.text()), ['https://alice.example/', 'https://blog.alice.example/']);
    assert.ok(v.getChild('TEL')!.getChild('HOME') && v.getChild('EMAIL')!.getChild('PREF'), 'type flags survive');
  });

  it('refuses to let anyone else set a vCard: forbidden (§3.2)', async () => {
    const r = await bob.iq(xml('iq', { type: 'set', to: 'alice@localhost' }, xml('vCard', { xmlns: NS }, xml('FN', {}, 'Mallory'))));
    assert.equal(r.attrs.type, 'error');
    assert.equal(cond(r)?.name, 'forbidden');
    assert.equal(r.getChild('error')!.attrs.type, 'auth');
    const v = (await bob.iq(xml('iq', { type: 'get', to: 'alice@localhost' }, xml('vCard', { xmlns: NS })))).getChild('vCard', NS)!;
    assert.equal(v.getChildText('FN'), 'Alice Example');
  });

  it('answers service-unavailable alike for an account without vCard and for no account (§3.3, RFC 6121 §8.5.1)', async () => {
    await createUser(server, 'carol', 'carol-pass');
    for (const to of ['carol@localhost', 'nobody@localhost']) {
      const r = await bob.iq(xml('iq', { type: 'get', to }, xml('vCard', { xmlns: NS })));
      assert.equal(r.attrs.type, 'error', to);
      assert.equal(cond(r)?.name, 'service-unavailable', to);
      assert.equal(r.attrs.from, to);
    }
  });

  it('refuses a vCard over the size limit with not-acceptable naming the limit', async () => {
    const big = xml('vCard', { xmlns: NS }, xml('DESC', {}, 'x'.repeat(70_000)));
    const r = await alice.iq(xml('iq', { type: 'set' }, big));
    assert.equal(cond(r)?.name, 'not-acceptable');
    assert.match(r.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /limit is 65536 bytes/);
  });

  it('refuses a PHOTO whose BINVAL is not base64: bad-request', async () => {
    const r = await alice.iq(xml('iq', { type: 'set' }, card([xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, 'not base64!'))])));
    assert.equal(cond(r)?.name, 'bad-request');
  });

  it('puts the photo hash into presence once a photo is set (XEP-0398 §4), and leaves an explicit empty <photo/> alone', async () => {
    // Mutual subscription so that presence flows.
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    await alice.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe');
    await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribed' }));
    await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribe' }));
    await bob.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe');
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribed' }));

    const photo = xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, PNG.toString('base64').replace(/(.{8})/g, '$1\n')));
    assert.equal((await alice.iq(xml('iq', { type: 'set' }, card([photo])))).attrs.type, 'result');
    bob.inbox.clear();
    await alice.send(xml('presence', {}, xml('status', {}, 'with avatar')));
    const p = await bob.inbox.next((el) => el.name === 'presence' && el.getChildText('status') === 'with avatar');
    assert.equal(p.getChild('x', 'vcard-temp:x:update')?.getChildText('photo'), SHA);

    await alice.send(xml('presence', {}, xml('status', {}, 'empty x'), xml('x', { xmlns: 'vcard-temp:x:update' })));
    const q = await bob.inbox.next((el) => el.name === 'presence' && el.getChildText('status') === 'empty x');
    assert.equal(q.getChildren('x', 'vcard-temp:x:update').length, 1);
    assert.equal(q.getChild('x', 'vcard-temp:x:update')!.getChildText('photo'), SHA, 'an empty <x/> is overwritten');

    await alice.send(xml('presence', {}, xml('status', {}, 'no avatar'), xml('x', { xmlns: 'vcard-temp:x:update' }, xml('photo'))));
    const e = await bob.inbox.next((el) => el.name === 'presence' && el.getChildText('status') === 'no avatar');
    assert.equal(e.getChild('x', 'vcard-temp:x:update')!.getChildText('photo'), '', 'an explicit empty <photo/> stays');
  });

  it('passes <nick/> (XEP-0172) through in a subscription request', async () => {
    await createUser(server, 'dave', 'dave-pass');
    const dave = await connect(server, 'dave', 'dave-pass', { resource: 'd' });
    try {
      await dave.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }, xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Dave the Rave')));
      const s = await alice.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === 'dave@localhost');
      assert.equal(s.getChildText('nick', 'http://jabber.org/protocol/nick'), 'Dave the Rave');
    } finally {
      await dave.stop();
    }
  });
});

describe('withPhotoHash (XEP-0398 §4 rules)', () => {
  const pres = (...c: Element[]) => xml('presence', {}, ...c);
  const upd = (photo?: string) => xml('x', { xmlns: 'vcard-temp:x:update' }, photo === undefined ? undefined as unknown as Element : xml('photo', {}, photo));
  it('adds the hash when the client sent none', () => {
    assert.equal(withPhotoHash(pres(), 'abc')!.getChild('x', 'vcard-temp:x:update')!.getChildText('photo'), 'abc');
  });
  it('keeps an empty <photo/> and an equal hash', () => {
    assert.equal(withPhotoHash(pres(xml('x', { xmlns: 'vcard-temp:x:update' }, xml('photo'))), 'abc'), undefined);
    assert.equal(withPhotoHash(pres(upd('ABC')), 'abc'), undefined);
  });
  it('replaces another hash, and ignores unavailable presence', () => {
    assert.equal(withPhotoHash(pres(upd('old')), 'abc')!.getChild('x', 'vcard-temp:x:update')!.getChildText('photo'), 'abc');
    assert.equal(withPhotoHash(xml('presence', { type: 'unavailable' }), 'abc'), undefined);
  });
  it('says "no avatar" for a vCard without photo', () => {
    assert.equal(withPhotoHash(pres(), '')!.getChild('x', 'vcard-temp:x:update')!.getChildText('photo'), '');
  });
});
