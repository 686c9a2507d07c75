/**
 * The WSI SOAP 1.1 binding against a real Tern over real HTTPS, with the npm `soap` package as an
 * independent client built from the WSDL the server serves: GetMessages (all, at most N, after a
 * cursor, consume), Acknowledge, an empty inbox, SendMessages in its three shapes in one request
 * with a status per recipient, a binary image whose bytes arrive intact, and the faults (401,
 * 403, a malformed request naming the field). trustTestCa (the harness) makes the test CA trusted
 * in this process, so the client verifies the server's certificate as usual. The same cases then
 * run with Debian's python3-zeep (test/scenarios/zeep_wsi.py) as a second independent client.
 */
import assert from 'node:assert/strict';
import { xml, type TestClient } from '../../../test/harness/clients.js';
import type { TestServer } from '../../../test/harness/server.js';
import { wsiSoapClient as soapClient, soapList as list, startWsiWorld, type WsiSoap, type WsiWorld } from '../../../test/harness/wsi.js';
import { zeepCall } from '../../../test/harness/zeep.js';

const TOKEN = 'gaming-service-secret-token';
const OTHER = 'other-inbox-token';
const SOAP_NS = 'urn:tern:wsi:soap:0';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 255, 128, 7]);

interface Fault { status: number; faultcode: string; faultstring: string; reason: string; field?: string }
async function fault(p: Promise<unknown>): Promise<Fault> {
  try {
    await p;
  } catch (err: any) {
    const f = err.root?.Envelope?.Body?.Fault;
    assert.ok(f, `a SOAP fault, got ${err}`);
    return { status: err.response?.status, faultcode: f.faultcode, faultstring: f.faultstring, reason: f.detail?.error?.reason, field: f.detail?.error?.field };
  }
  throw new Error('expected a SOAP fault');
}

describe('WSI Instant Inbox (SOAP 1.1, npm soap client)', function () {
  this.timeout(20_000);
  let server: TestServer;
  let alice: TestClient;
  let bob: TestClient;
  let game: WsiSoap;

  let world: WsiWorld | undefined;

  before(async () => {
    world = await startWsiWorld({ game: TOKEN, other: OTHER });
    ({ server, alice, bob } = world);
    game = await soapClient(server, 'game', TOKEN);
  });

  after(async () => { await world?.stop(); });

  it('serves a WSDL whose operations and address are this inbox\'s', async () => {
    const d = game.client.describe();
    assert.deepEqual(Object.keys(d.InstantInbox.InstantInboxPort).sort(), ['Acknowledge', 'GetMessages', 'SendMessages']);
    assert.equal(game.client.wsdl.definitions.services.InstantInbox.ports.InstantInboxPort.location, `https://127.0.0.1:${server.uploadPort}/wsi/localhost/game/soap`);
  });

  it('GetMessages: an empty inbox, then all, at most N, after a cursor; Acknowledge removes; consume reads and removes', async () => {
    let r = await game.call('GetMessages', {});
    assert.deepEqual(list(r.message), []);
    assert.equal(Number(r.pending), 0);
    for (const [id, text] of [['m1', 'good game'], ['m2', 'rematch?'], ['m3', 'tomorrow']]) {
      await alice.send(xml('message', { to: 'game@localhost', type: 'chat', id }, xml('body', {}, text!)));
    }
    // Long-poll until the three are stored (the wait returns as soon as there is one).
    let all: any[] = [];
    for (let i = 0; i < 50 && all.length < 3; i++) {
      r = await game.call('GetMessages', { wait: 2 });
      all = list(r.message);
      if (all.length < 3) await new Promise((res) => setTimeout(res, 50));
    }
    assert.deepEqual(all.map((m) => m.body), ['good game', 'rematch?', 'tomorrow']);
    assert.ok(all.every((m) => m.from === alice.jid && m.contentType === 'text/plain'));
    const seqs = all.map((m) => Number(m.seq));
    assert.ok(seqs[0]! < seqs[1]! && seqs[1]! < seqs[2]!);
    assert.match(all[0].stanza, /<body>good game<\/body>/);
    assert.equal(all[0].url, undefined);
    r = await game.call('GetMessages', { max: 2 });
    assert.deepEqual(list(r.message).map((m: any) => Number(m.seq)), seqs.slice(0, 2));
    assert.equal(Number(r.next), seqs[1]);
    r = await game.call('GetMessages', { after: seqs[1] });
    assert.deepEqual(list(r.message).map((m: any) => m.body), ['tomorrow']);
    const a = await game.call('Acknowledge', { upTo: seqs[0] });
    assert.deepEqual([Number(a.removed), Number(a.pending)], [1, 2]);
    r = await game.call('GetMessages', { max: 1, consume: true });
    assert.deepEqual(list(r.message).map((m: any) => m.body), ['rematch?']);
    assert.equal(Number(r.pending), 1);
    const a2 = await game.call('Acknowledge', { upTo: seqs[2] });
    assert.deepEqual([Number(a2.removed), Number(a2.pending)], [1, 0]);
    r = await game.call('GetMessages', {});
    assert.deepEqual(list(r.message), []);
  });

  it('SendMessages: one to one, one to many, separate messages and a binary image in one request; an unknown recipient fails alone', async () => {
    const r = await game.call('SendMessages', { message: [
      { to: ['xmpp:alice@localhost'], body: 'your move' },
      { to: ['bob@localhost', 'xmpp:alice@localhost', 'nobody@localhost', 'sip:carol@example.com'], body: 'game over' },
      { to: ['bob@localhost'], contentType: 'image/png', body: PNG.toString('base64') },
    ] });
    assert.deepEqual(list(r.result).map((x: any) => [Number(x.message), x.recipient, x.status, x.condition]), [
      [0, 'xmpp:alice@localhost', 'accepted', undefined],
      [1, 'bob@localhost', 'accepted', undefined],
      [1, 'xmpp:alice@localhost', 'accepted', undefined],
      [1, 'nobody@localhost', 'error', 'service-unavailable'],
      [1, 'sip:carol@example.com', 'error', 'feature-not-implemented'],
      [2, 'bob@localhost', 'accepted', undefined],
    ]);
    const m = await alice.inbox.next((el) => el.is('message') && el.getChildText('body') === 'your move');
    assert.equal(m.attrs.from, 'game@localhost/wsi');
    await alice.inbox.next((el) => el.is('message') && el.getChildText('body') === 'game over');
    await bob.inbox.next((el) => el.is('message') && el.getChildText('body') === 'game over');
    const img = await bob.inbox.next((el) => el.is('message') && !!el.getChild('wsi-content', 'urn:tern:wsi:0'));
    const c = img.getChild('wsi-content', 'urn:tern:wsi:0')!;
    assert.equal(c.attrs.type, 'image/png');
    assert.ok(Buffer.from(c.text(), 'base64').equals(PNG), 'the image bytes arrive identical');
  });

  it('receives any MIME type (WSI-12): an image from another inbox arrives byte for byte; a file a client shared arrives as its URL', async () => {
    const other = await soapClient(server, 'other', OTHER);
    const sent = await other.call('SendMessages', { message: [{ to: ['game@localhost'], contentType: 'image/png', body: PNG.toString('base64'), subject: 'screenshot' }] });
    assert.equal(list<any>(sent.result)[0].status, 'accepted');
    const url = 'https://upload.example.org/upload/abc/board.png';
    await alice.send(xml('message', { to: 'game@localhost', type: 'chat' }, xml('body', {}, url), xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, url))));
    let got: any[] = [];
    for (let i = 0; i < 50 && got.length < 2; i++) {
      got = list((await game.call('GetMessages', { wait: 2 })).message);
      if (got.length < 2) await new Promise((res) => setTimeout(res, 50));
    }
    assert.deepEqual(got.map((m) => [m.from, m.contentType, m.subject]), [['other@localhost/wsi', 'image/png', 'screenshot'], [alice.jid, 'text/plain', undefined]]);
    assert.ok(Buffer.from(got[0].body, 'base64').equals(PNG), 'the image bytes arrive identical');
    assert.equal(got[1].url, url);
    await game.call('Acknowledge', { upTo: Number(got[1].seq) });
  });

  it('faults: bad credentials (401, Client), another inbox (403), a malformed request names the field (500, Client)', async () => {
    const anon = await soapClient(server, 'game');
    let f = await fault(anon.call('GetMessages', {}));
    assert.deepEqual([f.status, f.faultcode, f.reason], [401, 'soap:Client', 'unauthorized']);
    const wrong = await soapClient(server, 'game', 'not-the-token');
    f = await fault(wrong.call('GetMessages', {}));
    assert.deepEqual([f.status, f.faultcode, f.reason], [401, 'soap:Client', 'unauthorized']);
    // The other inbox's consumer, at game's endpoint.
    const other = await soapClient(server, 'game', OTHER);
    f = await fault(other.call('GetMessages', {}));
    assert.deepEqual([f.status, f.faultcode, f.reason], [403, 'soap:Client', 'forbidden']);
    f = await fault(game.call('SendMessages', { message: [{ to: ['bob@localhost'], body: 'ok' }, { body: 'to nobody' }] }));
    assert.deepEqual([f.status, f.faultcode, f.reason, f.field], [500, 'soap:Client', 'bad-request', 'message[1].to']);
    f = await fault(game.call('GetMessages', { max: 0 }));
    assert.deepEqual([f.status, f.faultcode, f.reason, f.field], [500, 'soap:Client', 'bad-request', 'max']);
    // Nothing was sent for the refused request.
    const r = await game.call('GetMessages', {});
    assert.deepEqual(list(r.message), []);
  });

  it('faults on a raw envelope: not XML, a DOCTYPE, SOAP 1.2, an unknown operation; WS-Security UsernameToken is accepted', async () => {
    const url = `https://localhost:${server.uploadPort}/wsi/localhost/game/soap`;
    const post = async (body: string, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }) => {
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8', ...headers }, body });
      return { status: res.status, text: await res.text() };
    };
    const env = (inner: string, header = '') => `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">${header}<s:Body>${inner}</s:Body></s:Envelope>`;
    let r = await post('<s:Envelope');
    assert.equal(r.status, 500);
    assert.match(r.text, /<faultcode>soap:Client<\/faultcode>.*<reason>bad-request<\/reason><field>Envelope<\/field>/s);
    r = await post('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>');
    assert.match(r.text, /<field>Envelope<\/field>/);
    r = await post('<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>');
    assert.match(r.text, /<faultcode>soap:VersionMismatch<\/faultcode>/);
    r = await post(env(`<w:Frobnicate xmlns:w="${SOAP_NS}"/>`));
    assert.match(r.text, /<faultstring>unknown operation Frobnicate<\/faultstring>/);
    const wsse = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
    const security = (user: string, pw: string) => `<s:Header><o:Security xmlns:o="${wsse}"><o:UsernameToken><o:Username>${user}</o:Username><o:Password>${pw}</o:Password></o:UsernameToken></o:Security></s:Header>`;
    r = await post(env(`<w:GetMessagesRequest xmlns:w="${SOAP_NS}"/>`, security('game', TOKEN)), {});
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /<GetMessagesResponse xmlns="urn:tern:wsi:soap:0"><next>0<\/next><pending>0<\/pending><\/GetMessagesResponse>/);
    // The right token under another inbox's name is no credential.
    r = await post(env(`<w:GetMessagesRequest xmlns:w="${SOAP_NS}"/>`, security('other', TOKEN)), {});
    assert.equal(r.status, 401);
  });
  describe('with python3-zeep', function () {
    this.timeout(60_000);
    const auth = { token: TOKEN };

    it('GetMessages: empty, all, at most N; Acknowledge', async () => {
      let r = await zeepCall(server, 'game', 'GetMessages', {}, auth);
      assert.equal(r.status, 200);
      assert.deepEqual([r.ok.message, r.ok.pending], [[], 0]);
      await bob.send(xml('message', { to: 'game@localhost', type: 'chat' }, xml('body', {}, 'from zeep land 1')));
      await bob.send(xml('message', { to: 'game@localhost', type: 'chat' }, xml('subject', {}, 'round 2'), xml('body', {}, 'from zeep land 2')));
      for (let i = 0; i < 20; i++) {
        r = await zeepCall(server, 'game', 'GetMessages', { wait: 2 }, auth);
        if (r.ok.message.length === 2) break;
      }
      assert.deepEqual(r.ok.message.map((m: any) => [m.body, m.from, m.contentType, m.subject]), [
        ['from zeep land 1', bob.jid, 'text/plain', undefined],
        ['from zeep land 2', bob.jid, 'text/plain', 'round 2'],
      ]);
      const [first, second] = r.ok.message.map((m: any) => m.seq);
      assert.ok(first < second);
      r = await zeepCall(server, 'game', 'GetMessages', { max: 1 }, auth);
      assert.deepEqual(r.ok.message.map((m: any) => m.seq), [first]);
      r = await zeepCall(server, 'game', 'Acknowledge', { upTo: second }, auth);
      assert.deepEqual(r.ok, { removed: 2, pending: 0 });
    });

    it('SendMessages: the three shapes and an image in one request, per-recipient status', async () => {
      const r = await zeepCall(server, 'game', 'SendMessages', { message: [
        { to: ['alice@localhost'], body: 'zeep one to one' },
        { to: ['alice@localhost', 'bob@localhost', 'ghost@localhost'], body: 'zeep one to many' },
        { to: ['bob@localhost'], contentType: 'image/png', body: PNG.toString('base64') },
      ] }, auth);
      assert.deepEqual(r.ok.result.map((x: any) => [x.message, x.recipient, x.status, x.condition]), [
        [0, 'alice@localhost', 'accepted', undefined],
        [1, 'alice@localhost', 'accepted', undefined],
        [1, 'bob@localhost', 'accepted', undefined],
        [1, 'ghost@localhost', 'error', 'service-unavailable'],
        [2, 'bob@localhost', 'accepted', undefined],
      ]);
      await alice.inbox.next((el) => el.is('message') && el.getChildText('body') === 'zeep one to one');
      await alice.inbox.next((el) => el.is('message') && el.getChildText('body') === 'zeep one to many');
      await bob.inbox.next((el) => el.is('message') && el.getChildText('body') === 'zeep one to many');
      const img = await bob.inbox.next((el) => el.is('message') && !!el.getChild('wsi-content', 'urn:tern:wsi:0'));
      assert.ok(Buffer.from(img.getChild('wsi-content', 'urn:tern:wsi:0')!.text(), 'base64').equals(PNG));
    });

    it('faults: 401, 403, a malformed request naming the field; a WS-Security UsernameToken works', async () => {
      let r = await zeepCall(server, 'game', 'GetMessages', {}, { token: 'bad' });
      assert.deepEqual([r.fault?.status, r.fault?.code, r.fault?.reason], [401, 'soap:Client', 'unauthorized']);
      r = await zeepCall(server, 'game', 'GetMessages', {}, { token: OTHER });
      assert.deepEqual([r.fault?.status, r.fault?.code, r.fault?.reason], [403, 'soap:Client', 'forbidden']);
      r = await zeepCall(server, 'game', 'SendMessages', { message: [{ to: ['bob@localhost'], contentType: 'not a type', body: 'x' }] }, auth);
      assert.deepEqual([r.fault?.status, r.fault?.code, r.fault?.reason, r.fault?.field], [500, 'soap:Client', 'bad-request', 'message[0].contentType']);
      r = await zeepCall(server, 'game', 'GetMessages', {}, { user: 'game', password: TOKEN });
      assert.equal(r.status, 200);
      r = await zeepCall(server, 'game', 'GetMessages', {}, { user: 'game', password: 'wrong' });
      assert.equal(r.fault?.status, 401);
    });
  });
});
