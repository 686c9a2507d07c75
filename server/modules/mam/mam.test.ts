/**
 * XEP-0313 / XEP-0359 / XEP-0441 end to end: Alice and Bob chat a few hundred messages over real
 * sockets, then Alice pages through her archive in both directions and with every filter; the
 * error conditions, preferences, deletion and account removal.
 */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, errorCondition, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

const NS = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_SID = 'urn:xmpp:sid:0';
const NS_DELETE = 'urn:x-tern:mam-delete:0';

interface Result { id: string; body: string | null; from: string; to: string; stamp: string; inner: Element; outer: Element }
interface Answer { iq: Element; results: Result[]; fin?: Element; rsm?: { first?: string; index?: string; last?: string; count?: string; complete: boolean } }

type Fields = Record<string, string | string[]>;

function form(fields: Fields): Element {
  return xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS)),
    ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, ...(Array.isArray(v) ? v : [v]).map((x) => xml('value', {}, x)))));
}

function rsmSet(rsm: { max?: number; after?: string; before?: string }): Element {
  const s = xml('set', { xmlns: NS_RSM });
  if (rsm.max !== undefined) s.append(xml('max', {}, String(rsm.max)));
  if (rsm.after !== undefined) s.append(xml('after', {}, rsm.after));
  if (rsm.before !== undefined) s.append(rsm.before === '' ? xml('before') : xml('before', {}, rsm.before));
  return s;
}

let qid = 0;

async function query(c: TestClient, opts: { fields?: Fields; rsm?: { max?: number; after?: string; before?: string }; flip?: boolean; to?: string; children?: Element[] } = {}): Promise<Answer> {
  const queryid = `q${qid++}`;
  const q = xml('query', { xmlns: NS, queryid });
  if (opts.fields) q.append(form(opts.fields));
  if (opts.rsm) q.append(rsmSet(opts.rsm));
  if (opts.flip) q.append(xml('flip-page'));
  for (const ch of opts.children ?? []) q.append(ch);
  const attrs: Record<string, string> = { type: 'set' };
  if (opts.to) attrs.to = opts.to;
  const iq = await c.iq(xml('iq', attrs, q), 15_000);
  const mine = (el: Element) => el.name === 'message' && el.getChild('result', NS)?.attrs.queryid === queryid;
  const results: Result[] = [];
  while (c.inbox.all().some(mine)) {
    const m = await c.inbox.next(mine, 0);
    const r = m.getChild('result', NS)!;
    const fwd = r.getChild('forwarded', 'urn:xmpp:forward:0')!;
    const inner = fwd.getChild('message')!;
    results.push({ id: r.attrs.id, body: inner.getChildText('body'), from: inner.attrs.from, to: inner.attrs.to, stamp: fwd.getChild('delay', 'urn:xmpp:delay')!.attrs.stamp, inner, outer: m });
  }
  const fin = iq.getChild('fin', NS);
  const answer: Answer = { iq, results };
  if (fin) {
    answer.fin = fin;
    const set = fin.getChild('set', NS_RSM)!;
    answer.rsm = {
      first: set.getChildText('first') ?? undefined, index: set.getChild('first')?.attrs.index,
      last: set.getChildText('last') ?? undefined, count: set.getChildText('count') ?? undefined,
      complete: fin.attrs.complete === 'true',
    };
  }
  return answer;
}

const stanzaIds = (m: Element) => m.getChildren('stanza-id', NS_SID);
const chat = (to: string, body: string, ...extra: Element[]) => xml('message', { to, type: 'chat' }, xml('body', {}, body), ...extra);
const hasBody = (body: string) => (el: Element) => el.name === 'message' && el.getChildText('body') === body;

describe('message archive (XEP-0313, XEP-0359, XEP-0441) @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  let alice: TestClient;
  let bob: TestClient;
  let carol: TestClient;
  /** Bodies of the conversation, in the order the server saw them. */
  const conversation: string[] = [];

  before(async () => {
    server = await startServer();
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) await createUser(server, u, `${u}-pass`);
    alice = await connect(server, 'alice', 'alice-pass', { resource: 'phone' });
    bob = await connect(server, 'bob', 'bob-pass', { resource: 'desk' });
    carol = await connect(server, 'carol', 'carol-pass', { resource: 'c' });
    // 30 rounds of 5 messages each way: 300 messages whose server order is known.
    for (let round = 0; round < 30; round++) {
      for (const [from, to, name] of [[alice, 'bob@localhost', 'a'], [bob, 'alice@localhost', 'b']] as const) {
        const rcpt = from === alice ? bob : alice;
        for (let i = 0; i < 5; i++) {
          const body = `${name}-${round}-${i}`;
          conversation.push(body);
          await from.send(chat(to, body));
        }
        await rcpt.inbox.next(hasBody(`${name}-${round}-4`), 10_000);
        rcpt.inbox.clear();
      }
    }
  });
  after(async () => {
    await Promise.all([alice, bob, carol].map((c) => c?.stop()));
    await server?.cleanup();
  });
  afterEach(() => { for (const c of [alice, bob, carol]) c.inbox.clear(); });

  it('advertises urn:xmpp:mam:2, #extended and urn:xmpp:sid:0 on the account', async () => {
    const info = await alice.iq(xml('iq', { type: 'get', to: 'alice@localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    for (const f of [NS, `${NS}#extended`, NS_SID, NS_DELETE]) assert.ok(features.includes(f), f);
  });

  it('describes its query form (§4.1.5)', async () => {
    const r = await alice.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS })));
    assert.equal(r.attrs.type, 'result');
    const x = r.getChild('query', NS)!.getChild('x', 'jabber:x:data')!;
    assert.equal(x.attrs.type, 'form');
    const fields = Object.fromEntries(x.getChildren('field').map((f) => [f.attrs.var, f.attrs.type]));
    assert.deepEqual(fields, { 'FORM_TYPE': 'hidden', 'with': 'jid-single', 'start': 'text-single', 'end': 'text-single', 'before-id': 'text-single', 'after-id': 'text-single', 'ids': 'text-multi' });
    assert.ok(!x.getChildren('field').some((f) => f.getChild('required')), 'no field is required');
  });

  it('pages backward from the end: every message once, in order, complete only on the first page', async () => {
    const pages: Result[][] = [];
    let before = '';
    for (;;) {
      const a = await query(alice, { rsm: { max: 50, before } });
      assert.equal(a.iq.attrs.type, 'result');
      assert.equal(a.iq.attrs.from, 'alice@localhost');
      assert.equal(a.rsm!.count, '300');
      assert.equal(a.results.length, 50);
      assert.equal(a.rsm!.first, a.results[0]!.id);
      assert.equal(a.rsm!.last, a.results[49]!.id);
      assert.equal(a.rsm!.index, String(300 - 50 * (pages.length + 1)));
      for (const r of a.results) assert.equal(r.outer.attrs.from, 'alice@localhost', 'results come from the archive (bare JID)');
      pages.unshift(a.results);
      assert.equal(a.rsm!.complete, pages.length === 6, `complete on page ${pages.length}`);
      if (a.rsm!.complete) break;
      before = a.rsm!.first!;
    }
    const all = pages.flat();
    assert.deepEqual(all.map((r) => r.body), conversation);
    assert.equal(new Set(all.map((r) => r.id)).size, 300);
    const first = all[0]!;
    assert.equal(first.from, 'alice@localhost/phone');
    assert.equal(first.to, 'bob@localhost');
    assert.equal(first.inner.attrs.xmlns, 'jabber:client');
    assert.equal(all[5]!.from, 'bob@localhost/desk');
  });

  it('pages forward from the start to the end', async () => {
    const seen: Result[] = [];
    let after: string | undefined;
    for (let n = 0; ; n++) {
      const a = await query(alice, { rsm: after === undefined ? { max: 70 } : { max: 70, after } });
      assert.equal(a.rsm!.count, '300');
      assert.equal(a.rsm!.index, String(seen.length));
      seen.push(...a.results);
      assert.equal(a.rsm!.complete, seen.length === 300);
      if (a.rsm!.complete) {
        assert.equal(a.results.length, 300 - 4 * 70);
        break;
      }
      after = a.rsm!.last;
      assert.ok(n < 10);
    }
    assert.deepEqual(seen.map((r) => r.body), conversation);
  });

  it('sends a page in reverse with <flip-page/> without changing what it holds', async () => {
    const plain = await query(alice, { rsm: { max: 5, before: '' } });
    const flipped = await query(alice, { rsm: { max: 5, before: '' }, flip: true });
    assert.deepEqual(flipped.results.map((r) => r.id), plain.results.map((r) => r.id).reverse());
    assert.deepEqual(flipped.rsm, plain.rsm);
  });

  it('filters by with, ids, start/end, after-id/before-id', async () => {
    const everything = (await query(alice, { rsm: { max: 250, before: '' } })).results;
    await carol.send(chat('alice@localhost', 'carol-1'));
    await carol.send(chat('alice@localhost', 'carol-2'));
    await alice.inbox.next(hasBody('carol-2'));
    await alice.send(chat('carol@localhost/c', 'to-carol'));
    await carol.inbox.next(hasBody('to-carol'));

    const w = await query(alice, { fields: { with: 'carol@localhost' } });
    assert.deepEqual(w.results.map((r) => r.body), ['carol-1', 'carol-2', 'to-carol']);
    assert.equal(w.rsm!.count, '3');
    assert.ok(w.rsm!.complete);
    const wb = await query(alice, { fields: { with: 'bob@localhost' }, rsm: { max: 10, before: '' } });
    assert.equal(wb.rsm!.count, '300');
    assert.deepEqual(wb.results.map((r) => r.body), conversation.slice(-10));

    const picked = [everything[3]!, everything[100]!, everything[200]!];
    const ids = await query(alice, { fields: { ids: [picked[2]!.id, picked[0]!.id, picked[1]!.id] } });
    assert.deepEqual(ids.results.map((r) => r.id), picked.map((r) => r.id), 'chronological, whatever order the ids came in');
    assert.ok(ids.rsm!.complete);

    const start = everything[40]!.stamp;
    const end = everything[120]!.stamp;
    const ranged = await query(alice, { fields: { start, end }, rsm: { max: 250 } });
    const t = (s: string) => Date.parse(s);
    const expected = everything.filter((r) => t(r.stamp) >= t(start) && t(r.stamp) <= t(end)).map((r) => r.id);
    assert.ok(expected.length >= 81);
    assert.deepEqual(ranged.results.map((r) => r.id), expected);
    assert.equal(ranged.rsm!.count, String(expected.length));

    const between = await query(alice, { fields: { 'after-id': everything[10]!.id, 'before-id': everything[15]!.id } });
    assert.deepEqual(between.results.map((r) => r.id), everything.slice(11, 15).map((r) => r.id));
    // before-id does not page backward; RSM <before/> inside it does.
    const lastTwo = await query(alice, { fields: { 'before-id': everything[15]!.id }, rsm: { max: 2, before: '' } });
    assert.deepEqual(lastTwo.results.map((r) => r.id), everything.slice(13, 15).map((r) => r.id));
    // `everything` is the newest 250 of 300: 65 messages precede its 16th.
    assert.equal(lastTwo.rsm!.count, '65');
    assert.equal(lastTwo.rsm!.index, '63');
  });

  it('clamps <max/> to 250 and says the result is not complete', async () => {
    const a = await query(alice, { rsm: { max: 1000 } });
    assert.equal(a.results.length, 250);
    assert.equal(a.rsm!.complete, false);
    const none = await query(alice, { rsm: { max: 0 } });
    assert.equal(none.results.length, 0);
    assert.equal(none.rsm!.first, undefined);
    assert.ok(Number(none.rsm!.count) >= 300);
  });

  it('stamps the live message with the archive id (XEP-0359) and answers metadata (#extended)', async () => {
    await bob.send(chat('alice@localhost', 'stamped', xml('origin-id', { xmlns: NS_SID, id: 'bob-origin-1' })));
    const live = await alice.inbox.next(hasBody('stamped'));
    const sids = stanzaIds(live);
    assert.equal(sids.length, 1);
    assert.equal(sids[0]!.attrs.by, 'alice@localhost');
    const id = sids[0]!.attrs.id;
    const byId = await query(alice, { fields: { ids: [id] } });
    assert.deepEqual(byId.results.map((r) => r.body), ['stamped']);
    const md = await alice.iq(xml('iq', { type: 'get' }, xml('metadata', { xmlns: NS })));
    const meta = md.getChild('metadata', NS)!;
    assert.equal(meta.getChild('end')!.attrs.id, id);
    assert.ok(meta.getChild('start')!.attrs.id && !Number.isNaN(Date.parse(meta.getChild('start')!.attrs.timestamp)));
    // Bob's own archive keeps what he sent, with its origin-id, and his copy shows no stanza-id to Alice's contact.
    const bobs = await query(bob, { rsm: { max: 1, before: '' } });
    assert.equal(bobs.results[0]!.body, 'stamped');
    assert.equal(bobs.results[0]!.inner.getChild('origin-id', NS_SID)?.attrs.id, 'bob-origin-1');
    assert.equal(stanzaIds(bobs.results[0]!.inner).length, 0);
  });

  it('puts the stanza-id into carbons of the message too', async () => {
    const tablet = await connect(server, 'alice', 'alice-pass', { resource: 'tablet', presence: false });
    try {
      assert.equal((await tablet.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })))).attrs.type, 'result');
      await bob.send(chat('alice@localhost/phone', 'carbon me'));
      const live = await alice.inbox.next(hasBody('carbon me'));
      const carbon = await tablet.inbox.next((el) => el.getChild('received', 'urn:xmpp:carbons:2') !== undefined);
      const inner = carbon.getChild('received')!.getChild('forwarded')!.getChild('message')!;
      assert.equal(inner.getChildText('body'), 'carbon me');
      assert.equal(stanzaIds(inner)[0]!.attrs.id, stanzaIds(live)[0]!.attrs.id);
      // Archived once, however many resources got a copy.
      assert.equal((await query(alice, { fields: { ids: [stanzaIds(live)[0]!.attrs.id] } })).results.length, 1);
    } finally {
      await tablet.stop();
    }
  });

  it('strips a stanza-id a sender forged in the recipient\'s name (XEP-0359 §5)', async () => {
    await bob.send(chat('alice@localhost/phone', 'forged',
      xml('stanza-id', { xmlns: NS_SID, by: 'alice@localhost', id: 'fake-1' }),
      xml('stanza-id', { xmlns: NS_SID, by: 'ALICE@localhost', id: 'fake-2' }),
      xml('stanza-id', { xmlns: NS_SID, by: 'elsewhere.example', id: 'kept' })));
    const live = await alice.inbox.next(hasBody('forged'));
    const mine = stanzaIds(live).filter((s) => s.attrs.by.toLowerCase() === 'alice@localhost');
    assert.equal(mine.length, 1);
    assert.ok(!['fake-1', 'fake-2'].includes(mine[0]!.attrs.id));
    assert.ok(stanzaIds(live).some((s) => s.attrs.id === 'kept'), 'stanza-ids by others are not ours to remove');
    const stored = await query(alice, { fields: { ids: [mine[0]!.attrs.id] } });
    assert.ok(!stanzaIds(stored.results[0]!.inner).some((s) => s.attrs.id.startsWith('fake')));
  });

  it('archives messages that go to offline storage, and they arrive stamped', async () => {
    await bob.send(chat('dave@localhost', 'while away'));
    await bob.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const dave = await connect(server, 'dave', 'dave-pass');
    try {
      const m = await dave.inbox.next(hasBody('while away'));
      const sid = stanzaIds(m)[0]!;
      assert.equal(sid.attrs.by, 'dave@localhost');
      const a = await query(dave, {});
      assert.deepEqual(a.results.map((r) => [r.id, r.body]), [[sid.attrs.id, 'while away']]);
    } finally {
      await dave.stop();
    }
  });

  it('keeps chat states, no-store hints, errors and headlines out; <store/> brings a body-less message in', async () => {
    const before = Number((await query(alice, { rsm: { max: 0 } })).rsm!.count);
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await bob.send(chat('alice@localhost', 'not kept', xml('no-store', { xmlns: 'urn:xmpp:hints' })));
    await bob.send(chat('alice@localhost', 'not kept either', xml('no-permanent-store', { xmlns: 'urn:xmpp:hints' })));
    await bob.send(xml('message', { to: 'alice@localhost/phone', type: 'headline' }, xml('body', {}, 'news')));
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: 'x' }), xml('store', { xmlns: 'urn:xmpp:hints' })));
    await bob.send(xml('message', { to: 'alice@localhost/phone', type: 'error' }, xml('body', {}, 'bounced'), xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }))));
    await bob.send(xml('message', { to: 'alice@localhost/gone', type: 'normal' }, xml('body', {}, 'to a resource that is not there')));
    await bob.send(chat('alice@localhost', 'marker'));
    const marker = await alice.inbox.next(hasBody('marker'));
    const notKept = alice.inbox.all().find((el) => el.getChildText('body') === 'not kept')!;
    assert.equal(stanzaIds(notKept).length, 0, 'an unarchived message gets no stanza-id');
    assert.equal(stanzaIds(marker).length, 1);
    const after = await query(alice, { rsm: { max: 2, before: '' } });
    assert.equal(Number(after.rsm!.count), before + 2, 'the hinted receipt and the marker');
    assert.ok(after.results[0]!.inner.getChild('received', 'urn:xmpp:receipts'));
  });

  it('follows the preferences (XEP-0441): never, always, roster', async () => {
    const get = await alice.iq(xml('iq', { type: 'get' }, xml('prefs', { xmlns: NS })));
    assert.equal(get.getChild('prefs', NS)!.attrs.default, 'always');
    const set = await alice.iq(xml('iq', { type: 'set' }, xml('prefs', { xmlns: NS, default: 'always' },
      xml('always'), xml('never', {}, xml('jid', {}, 'bob@localhost')))));
    assert.equal(set.attrs.type, 'result');
    assert.deepEqual(set.getChild('prefs', NS)!.getChild('never')!.getChildren('jid').map((j) => j.getText()), ['bob@localhost']);
    const count = async () => Number((await query(alice, { rsm: { max: 0 } })).rsm!.count);
    const n0 = await count();
    await bob.send(chat('alice@localhost', 'never archived'));
    const m = await alice.inbox.next(hasBody('never archived'));
    assert.equal(stanzaIds(m).length, 0);
    await alice.send(chat('bob@localhost', 'nor this'));
    await bob.inbox.next(hasBody('nor this'));
    assert.equal(await count(), n0);
    await carol.send(chat('alice@localhost', 'carol still'));
    await alice.inbox.next(hasBody('carol still'));
    assert.equal(await count(), n0 + 1);

    // default roster: carol is not in Alice's roster.
    await alice.iq(xml('iq', { type: 'set' }, xml('prefs', { xmlns: NS, default: 'roster' })));
    await carol.send(chat('alice@localhost', 'stranger'));
    await alice.inbox.next(hasBody('stranger'));
    assert.equal(await count(), n0 + 1);
    const bad = await alice.iq(xml('iq', { type: 'set' }, xml('prefs', { xmlns: NS, default: 'sometimes' })));
    assert.equal(errorCondition(bad), 'bad-request');
    await alice.iq(xml('iq', { type: 'set' }, xml('prefs', { xmlns: NS, default: 'always' })));
    const back = await alice.iq(xml('iq', { type: 'get' }, xml('prefs', { xmlns: NS })));
    assert.equal(back.getChild('prefs', NS)!.attrs.default, 'always');
    assert.equal(back.getChild('prefs', NS)!.getChild('never')!.getChildren('jid').length, 0);
  });

  it('answers malformed queries with bad-request, unknown fields with feature-not-implemented', async () => {
    const cases: Array<[string, Fields | Element[], string]> = [
      ['a date that is not XEP-0082', { start: 'yesterday' }, 'bad-request'],
      ['a date that does not exist', { end: '2024-02-30T00:00:00Z' }, 'bad-request'],
      ['an invalid JID', { with: 'a@b@c' }, 'bad-request'],
      ['two values for start', { start: ['2020-01-01T00:00:00Z', '2021-01-01T00:00:00Z'] }, 'bad-request'],
      ['an unknown field', { 'urn:example:search': 'x' }, 'feature-not-implemented'],
      ['a wrong FORM_TYPE', [xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'urn:xmpp:mam:1')))], 'bad-request'],
      ['a form of type form', [xml('x', { xmlns: 'jabber:x:data', type: 'form' })], 'bad-request'],
      ['a negative max', [xml('set', { xmlns: NS_RSM }, xml('max', {}, '-1'))], 'bad-request'],
    ];
    for (const [what, spec, condition] of cases) {
      const a = Array.isArray(spec) ? await query(alice, { children: spec }) : await query(alice, { fields: spec });
      assert.equal(a.iq.attrs.type, 'error', what);
      assert.equal(errorCondition(a.iq), condition, what);
      assert.equal(a.results.length, 0);
    }
  });

  it('answers UIDs that are not in the archive with item-not-found', async () => {
    const bobsId = (await query(bob, { rsm: { max: 1, before: '' } })).results[0]!.id;
    const alicesIds = new Set((await query(alice, { rsm: { max: 250, before: '' } })).results.map((r) => r.id));
    const foreign = alicesIds.has(bobsId) ? '999999999' : bobsId; // an id of someone else's archive is not in Alice's
    const cases: Array<Parameters<typeof query>[1]> = [
      { rsm: { after: 'no-such-id' } }, { rsm: { before: 'no-such-id' } }, { rsm: { after: foreign } },
      { fields: { 'after-id': 'nope' } }, { fields: { 'before-id': '123456789' } }, { fields: { ids: ['nope'] } },
    ];
    for (const opts of cases) {
      const a = await query(alice, opts);
      assert.equal(errorCondition(a.iq), 'item-not-found', JSON.stringify(opts));
    }
  });

  it('refuses access to someone else\'s archive with forbidden', async () => {
    const a = await query(alice, { to: 'bob@localhost' });
    assert.equal(errorCondition(a.iq), 'forbidden');
    assert.equal(a.results.length, 0);
    for (const payload of [xml('metadata', { xmlns: NS }), xml('prefs', { xmlns: NS })]) {
      const r = await alice.iq(xml('iq', { type: 'get', to: 'bob@localhost' }, payload));
      assert.equal(errorCondition(r), 'forbidden');
    }
    const d = await alice.iq(xml('iq', { type: 'set', to: 'bob@localhost' }, xml('delete', { xmlns: NS_DELETE })));
    assert.equal(errorCondition(d), 'forbidden');
  });

  it('deletes part of the archive, then all of it; ids are not reused', async () => {
    const del = async (fields?: Fields) => {
      const el = xml('delete', { xmlns: NS_DELETE });
      if (fields) el.append(form(fields));
      return alice.iq(xml('iq', { type: 'set' }, el));
    };
    const withCarol = await query(alice, { fields: { with: 'carol@localhost' } });
    const r = await del({ with: 'carol@localhost' });
    assert.equal(r.getChild('deleted', NS_DELETE)!.attrs.count, String(withCarol.results.length));
    assert.equal((await query(alice, { fields: { with: 'carol@localhost' } })).rsm!.count, '0');
    assert.equal(errorCondition(await del({ ids: [withCarol.results[0]!.id] })), 'item-not-found');
    const bobCount = (await query(alice, { fields: { with: 'bob@localhost' }, rsm: { max: 0 } })).rsm!.count;
    assert.ok(Number(bobCount) > 300);

    const lastId = (await query(alice, { rsm: { max: 1, before: '' } })).results[0]!.id;
    const all = await del();
    assert.equal(all.getChild('deleted', NS_DELETE)!.attrs.count, bobCount);
    const md = await alice.iq(xml('iq', { type: 'get' }, xml('metadata', { xmlns: NS })));
    assert.equal(md.getChild('metadata', NS)!.children.length, 0, 'an empty archive has empty metadata');
    const empty = await query(alice, {});
    assert.equal(empty.rsm!.count, '0');
    assert.ok(empty.rsm!.complete);

    await bob.send(chat('alice@localhost', 'after the purge'));
    const m = await alice.inbox.next(hasBody('after the purge'));
    assert.notEqual(stanzaIds(m)[0]!.attrs.id, lastId);
    assert.deepEqual((await query(alice, {})).results.map((x) => x.body), ['after the purge']);
  });

  it('removes the archive and preferences with the account', async () => {
    let erin = await connect(server, 'erin', 'erin-pass');
    await bob.send(chat('erin@localhost', 'for erin'));
    await erin.inbox.next(hasBody('for erin'));
    await erin.iq(xml('iq', { type: 'set' }, xml('prefs', { xmlns: NS, default: 'roster' })));
    assert.equal((await query(erin, {})).rsm!.count, '1');
    const rm = await erin.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
    assert.equal(rm.attrs.type, 'result');
    await erin.stop();
    await createUser(server, 'erin', 'erin-pass');
    erin = await connect(server, 'erin', 'erin-pass');
    try {
      assert.equal((await query(erin, {})).rsm!.count, '0');
      const p = await erin.iq(xml('iq', { type: 'get' }, xml('prefs', { xmlns: NS })));
      assert.equal(p.getChild('prefs', NS)!.attrs.default, 'always');
    } finally {
      await erin.stop();
    }
  });
});
