/** User directory search (XEP-0055) end to end: legacy fields and the data form, opt-in only, exact errors. */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

const NS = 'jabber:iq:search';
const cond = (el: Element) => el.getChild('error')?.children.find((c) => typeof c !== 'string' && c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas') as Element | undefined;
const vcard = (fn: string, nick: string, email: string) => xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, fn), xml('NICKNAME', {}, nick),
  xml('EMAIL', {}, xml('INTERNET'), xml('USERID', {}, email)));
const form = (fields: Record<string, string>, formType = NS) => xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
  xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
  ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))));
const jidsOf = (r: Element) => r.getChild('query', NS)!.getChild('x', 'jabber:x:data')!.getChildren('item')
  .map((i) => i.getChildren('field').find((f) => f.attrs.var === 'jid')!.getChildText('value')).sort();

describe('user directory search (XEP-0055) @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  const c: Record<string, TestClient> = {};

  before(async () => {
    server = await startServer({ config: { hosts: [{ domain: 'localhost', registration: 'open', search: { max_results: 2 }, msisdn: { enum_suffixes: [] } }] } });
    const people: Array<[string, string, string, string, boolean]> = [
      ['ann', 'Ann Lee', 'annie', 'ann@example.org', true],
      ['andy', 'Andy Roe', 'andyr', 'andy@example.org', true],
      ['anna', 'Anna Bell', 'annab', 'anna@example.org', true],
      ['hidden', 'Ann Hidden', 'annie2', 'hidden@example.org', false],
    ];
    for (const [u, fn, nick, email, searchable] of people) {
      await createUser(server, u, `${u}-password`);
      c[u] = await connect(server, u, `${u}-password`, { presence: false });
      assert.equal((await c[u]!.iq(xml('iq', { type: 'set' }, vcard(fn, nick, email)))).attrs.type, 'result');
      if (searchable) {
        const r = await c[u]!.iq(xml('iq', { type: 'set' }, xml('directory', { xmlns: 'urn:tern:directory:0', searchable: 'true' })));
        assert.equal(r.attrs.type, 'result', r.toString());
      }
    }
  });
  after(async () => {
    await Promise.all(Object.values(c).map((x) => x.stop()));
    await server?.cleanup();
  });

  it('is advertised as a feature of the host and offers legacy fields and a form', async () => {
    const info = await c.ann!.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const q = info.getChild('query')!;
    assert.ok(q.getChildren('feature').some((f) => f.attrs.var === NS));
    const f = (await c.ann!.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: NS })))).getChild('query', NS)!;
    for (const n of ['first', 'last', 'nick', 'email', 'instructions']) assert.ok(f.getChild(n), n);
    const x = f.getChild('x', 'jabber:x:data')!;
    assert.equal(x.attrs.type, 'form');
    assert.deepEqual(x.getChildren('field').map((e) => e.attrs.var), ['FORM_TYPE', 'username', 'nick', 'fn', 'first', 'last', 'email', 'msisdn']);
  });

  it('finds by nickname and by e-mail (legacy fields)', async () => {
    const r = await c.andy!.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: NS }, xml('nick', {}, 'ANNIE'))));
    const items = r.getChild('query', NS)!.getChildren('item');
    assert.deepEqual(items.map((i) => i.attrs.jid), ['ann@localhost'], 'the non-searchable annie2 never appears');
    assert.equal(items[0]!.getChildText('email'), 'ann@example.org');
    const e = await c.andy!.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: NS }, xml('email', {}, 'hidden@example.org'))));
    assert.equal(e.attrs.type, 'result');
    assert.equal(e.getChild('query', NS)!.getChildren('item').length, 0, 'an opted-out user is not found even by exact e-mail');
  });

  it('finds by username, full-name word and prefix with the data form; results are capped', async () => {
    const byUser = await c.andy!.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: NS }, form({ username: 'anna' }))));
    assert.deepEqual(jidsOf(byUser), ['anna@localhost']);
    const byWord = await c.andy!.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: NS }, form({ fn: 'lee' }))));
    assert.deepEqual(jidsOf(byWord), ['ann@localhost']);
    const prefix = await c.andy!.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: NS }, form({ username: 'an*' }))));
    assert.deepEqual(jidsOf(prefix), ['andy@localhost', 'ann@localhost'], 'three match, max_results is 2, hidden never');
    const ann = await c.andy!.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: NS }, form({ fn: 'ann*' }))));
    assert.deepEqual(jidsOf(ann), ['ann@localhost', 'anna@localhost']);
  });

  it('opting out removes a user from results at once', async () => {
    await c.anna!.iq(xml('iq', { type: 'set' }, xml('directory', { xmlns: 'urn:tern:directory:0', searchable: 'false' })));
    const g = await c.anna!.iq(xml('iq', { type: 'get' }, xml('directory', { xmlns: 'urn:tern:directory:0' })));
    assert.equal(g.getChild('directory')!.attrs.searchable, 'false');
    const r = await c.andy!.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: NS }, form({ email: 'anna@example.org' }))));
    assert.deepEqual(jidsOf(r), []);
  });

  it('refuses an empty search with not-acceptable and a malformed form with bad-request', async () => {
    const empty = await c.andy!.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: NS }, xml('nick', {}, ''))));
    assert.equal(cond(empty)?.name, 'not-acceptable');
    const star = await c.andy!.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: NS }, form({ username: '*' }))));
    assert.equal(cond(star)?.name, 'not-acceptable');
    const wrongType = await c.andy!.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: NS }, form({ nick: 'annie' }, 'urn:other'))));
    assert.equal(cond(wrongType)?.name, 'bad-request');
    const unknown = await c.andy!.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: NS }, form({ shoe_size: '42' }))));
    assert.equal(cond(unknown)?.name, 'bad-request');
    const badSetting = await c.andy!.iq(xml('iq', { type: 'set' }, xml('directory', { xmlns: 'urn:tern:directory:0', searchable: 'maybe' })));
    assert.equal(cond(badSetting)?.name, 'bad-request');
  });

  it('finds by phone number (the msisdn field): only a discoverable number of a listed user', async () => {
    for (const [n, u] of [['+33612345678', 'ann'], ['+33612345679', 'hidden'], ['+33612345670', 'andy']]) {
      const r = await server.cli(['msisdn', 'link', n!, `${u}@localhost`]);
      assert.equal(r.code, 0, r.stderr);
    }
    for (const u of ['ann', 'hidden']) {
      const r = await c[u]!.iq(xml('iq', { type: 'set' }, xml('numbers', { xmlns: 'urn:tern:msisdn:0', discoverable: 'true' })));
      assert.equal(r.attrs.type, 'result', r.toString());
    }
    const search = (n: string) => c.andy!.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: NS }, form({ msisdn: n }))));
    assert.deepEqual(jidsOf(await search('+33 6 12 34 56 78')), ['ann@localhost'], 'any written form of the number');
    assert.deepEqual(jidsOf(await search('+33612345679')), [], 'discoverable by number but not listed in the directory');
    assert.deepEqual(jidsOf(await search('+33612345670')), [], 'listed but not discoverable by number');
    const bad = await search('12');
    assert.equal(cond(bad)?.name, 'not-acceptable');
  });
});
