/**
 * WSI Instant Inbox over real HTTPS against a real Tern with real XMPP clients: messages to the
 * inbox are kept with sequence numbers until acknowledged, long-poll, SendMessages in its three
 * shapes with per-recipient statuses, binary content (inline, and above wsi.inline_max_bytes
 * through the upload service as an XEP-0066 URL), the authentication and request errors, the
 * OpenAPI document, and WSI-28 (the inbox's account is its presence identity too).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { connect, createUser, xml, type TestClient } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { startWsiWorld, wsiRest, type WsiWorld } from '../../../test/harness/wsi.js';
import { tokenDigest } from './index.js';

const call = wsiRest;

const TOKEN = 'gaming-service-secret-token';
const OTHER = 'other-inbox-token';
const base = '/wsi/localhost/game';

describe('WSI Instant Inbox (REST/JSON)', function () {
  this.timeout(20_000);
  let server: TestServer;
  let alice: TestClient;
  let bob: TestClient;

  let world: WsiWorld | undefined;

  before(async () => {
    world = await startWsiWorld({ game: TOKEN, other: OTHER });
    ({ server, alice, bob } = world);
  });

  after(async () => { await world?.stop(); });

  it('keeps messages to the inbox with increasing sequence numbers; GetMessages returns them oldest first, at most N; ack removes them', async () => {
    let r = await call(server, 'GET', `${base}/messages`, { token: TOKEN });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.messages, []);
    await alice.send(xml('message', { to: 'game@localhost', type: 'chat', id: 'm1' }, xml('body', {}, 'good game')));
    await alice.send(xml('message', { to: 'game@localhost/anything', type: 'chat', id: 'm2' }, xml('body', {}, 'rematch?')));
    // Long-poll with nothing pending would wait; here both are (soon) there.
    let all: any[] = [];
    for (let i = 0; i < 50 && all.length < 2; i++) {
      r = await call(server, 'GET', `${base}/messages`, { token: TOKEN });
      all = r.body.messages;
      if (all.length < 2) await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(all.length, 2);
    assert.ok(all[0].seq < all[1].seq);
    assert.equal(all[0].from, alice.jid);
    assert.match(all[0].stanza, /good game/);
    assert.match(all[1].stanza, /rematch\?/);
    r = await call(server, 'GET', `${base}/messages?max=1`, { token: TOKEN });
    assert.equal(r.body.messages.length, 1);
    assert.equal(r.body.messages[0].seq, all[0].seq);
    assert.equal(r.body.next, all[0].seq);
    r = await call(server, 'GET', `${base}/messages?after=${all[0].seq}`, { token: TOKEN });
    assert.deepEqual(r.body.messages.map((m: any) => m.seq), [all[1].seq]);
    r = await call(server, 'POST', `${base}/ack`, { token: TOKEN, body: { upTo: all[0].seq } });
    assert.equal(r.status, 200);
    assert.equal(r.body.removed, 1);
    assert.equal(r.body.pending, 1);
    r = await call(server, 'GET', `${base}/messages?consume=1`, { token: TOKEN });
    assert.deepEqual(r.body.messages.map((m: any) => m.seq), [all[1].seq]);
    r = await call(server, 'GET', `${base}/messages`, { token: TOKEN });
    assert.deepEqual(r.body.messages, []);
    assert.equal(r.body.pending, 0);
  });

  it('long-poll: GetMessages with wait returns as soon as a message arrives', async () => {
    const started = Date.now();
    const poll = call(server, 'GET', `${base}/messages?wait=10`, { token: TOKEN });
    await new Promise((res) => setTimeout(res, 300));
    await bob.send(xml('message', { to: 'game@localhost', type: 'chat' }, xml('body', {}, 'are you there')));
    const r = await poll;
    assert.equal(r.status, 200);
    assert.equal(r.body.messages.length, 1);
    assert.match(r.body.messages[0].stanza, /are you there/);
    assert.ok(Date.now() - started < 5000, 'returned well before the wait ran out');
    await call(server, 'POST', `${base}/ack`, { token: TOKEN, body: { upTo: r.body.next } });
  });

  it('SendMessages: one to one, one to many and separate messages in one request, with a status per recipient', async () => {
    const r = await call(server, 'POST', `${base}/messages`, { token: TOKEN, body: { messages: [
      { to: 'xmpp:alice@localhost', body: 'your move' },
      { to: ['bob@localhost', 'xmpp:alice@localhost', 'nobody@localhost'], body: 'game over' },
      { to: ['bob@localhost'], contentType: 'image/png', body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]).toString('base64') },
    ] } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.results.map((x: any) => [x.message, x.recipient, x.status, x.condition]), [
      [0, 'xmpp:alice@localhost', 'accepted', undefined],
      [1, 'bob@localhost', 'accepted', undefined],
      [1, 'xmpp:alice@localhost', 'accepted', undefined],
      [1, 'nobody@localhost', 'error', 'service-unavailable'],
      [2, 'bob@localhost', 'accepted', undefined],
    ]);
    const a1 = await alice.inbox.next((el) => el.is('message') && el.getChildText('body') === 'your move');
    assert.equal(a1.attrs.from, 'game@localhost/wsi');
    await alice.inbox.next((el) => el.is('message') && el.getChildText('body') === 'game over');
    await bob.inbox.next((el) => el.is('message') && el.getChildText('body') === 'game over');
    const img = await bob.inbox.next((el) => el.is('message') && !!el.getChild('wsi-content', 'urn:tern:wsi:0'));
    const c = img.getChild('wsi-content', 'urn:tern:wsi:0')!;
    assert.equal(c.attrs.type, 'image/png');
    assert.deepEqual([...Buffer.from(c.text(), 'base64')], [0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    assert.match(img.getChildText('body')!, /image\/png/);
    // The bounce was a status, not an inbox message.
    const inbox = await call(server, 'GET', `${base}/messages`, { token: TOKEN });
    assert.deepEqual(inbox.body.messages, []);
  });

  it('refuses a missing or wrong token (401), another inbox\'s token (403), and names the bad field (400)', async () => {
    assert.equal((await call(server, 'GET', `${base}/messages`)).status, 401);
    assert.equal((await call(server, 'GET', `${base}/messages`, { token: 'wrong' })).status, 401);
    assert.equal((await call(server, 'GET', `${base}/messages`, { token: OTHER })).status, 403);
    let r = await call(server, 'POST', `${base}/messages`, { token: TOKEN, body: { messages: [{ to: [], body: 'x' }] } });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'messages[0].to');
    r = await call(server, 'POST', `${base}/ack`, { token: TOKEN, body: { upTo: 'x' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'upTo');
    r = await call(server, 'GET', `${base}/messages?max=0`, { token: TOKEN });
    assert.equal(r.status, 400);
    assert.equal(r.body.field, 'max');
    r = await call(server, 'POST', `${base}/messages`, { token: TOKEN, body: '{not json' });
    assert.equal(r.status, 400);
  });
  it('WSI-28: the inbox\'s user id is the one for presence too — an XMPP session of the account gives it presence, while messages still go to the inbox', async () => {
    await createUser(server, 'game', 'game-password');
    const presenceBot = await connect(server, 'game', 'game-password', { resource: 'presence' });
    try {
      const pres = (from: string, type?: string) => (el: any) => el.is('presence') && el.attrs.from?.split('/')[0] === from && el.attrs.type === type;
      await alice.send(xml('presence', { to: 'game@localhost', type: 'subscribe' }));
      await presenceBot.inbox.next(pres(alice.bare, 'subscribe'), 5000);
      await presenceBot.send(xml('presence', { to: alice.bare, type: 'subscribed' }));
      const avail = await alice.inbox.next(pres('game@localhost', undefined), 5000);
      assert.equal(avail.attrs.from, 'game@localhost/presence');
      // The same identity still takes IM through the WSI: the message is in the inbox, not at the session.
      await alice.send(xml('message', { to: 'game@localhost', type: 'chat' }, xml('body', {}, 'still the inbox')));
      const r = await call(server, 'GET', `${base}/messages?wait=5&consume=1`, { token: TOKEN });
      assert.deepEqual(r.body.messages.map((m: any) => m.body), ['still the inbox']);
      await assert.rejects(presenceBot.inbox.next((el) => el.is('message'), 300));
      // And what the consumer sends comes from that same account.
      const s = await call(server, 'POST', `${base}/messages`, { token: TOKEN, body: { messages: [{ to: 'alice@localhost', body: 'same id' }] } });
      assert.equal(s.body.results[0].status, 'accepted');
      const m = await alice.inbox.next((el) => el.is('message') && el.getChildText('body') === 'same id');
      assert.equal(m.attrs.from.split('/')[0], avail.attrs.from.split('/')[0]);
    } finally {
      await presenceBot.stop();
    }
  });

  it('serves an OpenAPI 3 document without authentication; every documented operation is served, and nothing else is', async () => {
    const r = await call(server, 'GET', '/wsi/localhost/openapi.json');
    assert.equal(r.status, 200);
    const doc = r.body;
    assert.match(doc.openapi, /^3\.0\.\d+$/);
    assert.equal(typeof doc.info.title, 'string');
    // No public_url configured: the server URL is built from the Host the client asked for.
    assert.equal(doc.servers[0].url, `https://127.0.0.1:${server.uploadPort}/wsi/localhost`);
    assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([p, item]) =>
      Object.keys(item).filter((m) => ['get', 'post', 'put', 'delete', 'patch'].includes(m)).map((m) => `${m.toUpperCase()} ${p}`));
    // What http.ts routes, and the SOAP endpoint beside it.
    assert.deepEqual(ops.sort(), ['GET /openapi.json', 'GET /{inbox}/messages', 'GET /{inbox}/soap', 'POST /{inbox}/ack', 'POST /{inbox}/messages', 'POST /{inbox}/soap'].sort());
    for (const op of ops) {
      const [method, p] = op.split(' ') as [string, string];
      const item = doc.paths[p][method.toLowerCase()];
      assert.ok(item.operationId && item.responses['200'], `${op} has an operationId and a 200 response`);
      for (const ref of JSON.stringify(item).matchAll(/"#\/components\/schemas\/(\w+)"/g)) assert.ok(doc.components.schemas[ref[1]!], `${ref[1]} is defined`);
      const path = `/wsi/localhost${p.replace('{inbox}', 'game')}${p.endsWith('/soap') && method === 'GET' ? '?wsdl' : ''}`;
      // Served means neither 404 nor 405; an empty body is a 400 (REST) or a Client fault (SOAP).
      const res = await call(server, method, path, { token: TOKEN, ...(method === 'POST' && !p.endsWith('/soap') ? { body: {} } : {}) }).catch(() => ({ status: -1 }));
      assert.ok(![404, 405, -1].includes(res.status), `${op} is served (got ${res.status})`);
    }
    // And what is not documented is not served.
    for (const [method, path] of [['GET', '/wsi/localhost/game/ack'], ['GET', '/wsi/localhost/game/other'], ['DELETE', '/wsi/localhost/game/messages'], ['GET', '/wsi/localhost/game'], ['GET', '/wsi/localhost/openapi.yaml']] as const) {
      const res = await call(server, method, path, { token: TOKEN });
      assert.ok([404, 405].includes(res.status), `${method} ${path} is not served (got ${res.status})`);
    }
    // REST errors carry the same machine-readable reasons as the SOAP faults.
    const e = await call(server, 'GET', `${base}/messages`, { token: OTHER });
    assert.deepEqual([e.status, e.body.reason], [403, 'forbidden']);
  });
});

describe('WSI SendMessages: large content through the upload service (XEP-0363 storage, XEP-0066 URL)', function () {
  this.timeout(20_000);
  let server: TestServer;
  let bob: TestClient;

  before(async () => {
    server = await startServer({ hosts: [], config: { hosts: [{ domain: 'localhost', registration: 'open', upload: { max_file_size: 8192 },
      wsi: { inline_max_bytes: 1024, inboxes: [{ username: 'game', token_sha256: tokenDigest(TOKEN) }] } }] } });
    await createUser(server, 'bob', 'bob-pass');
    bob = await connect(server, 'bob', 'bob-pass');
  });
  after(async () => {
    await bob?.stop();
    await server?.stop();
  });

  it('sends content above inline_max_bytes as an out-of-band URL whose bytes are identical; small content stays inline; over the upload limit fails that message only', async () => {
    const big = Buffer.alloc(4000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 7) & 0xff;
    const small = Buffer.from([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0, 1]);
    const r = await call(server, 'POST', `${base}/messages`, { token: TOKEN, body: { messages: [
      { to: ['bob@localhost'], contentType: 'image/png', body: big.toString('base64') },
      { to: ['bob@localhost'], contentType: 'image/gif', body: small.toString('base64') },
      { to: ['bob@localhost', 'alice@localhost'], contentType: 'video/mp4', body: Buffer.alloc(9000).toString('base64') },
      { to: ['bob@localhost'], body: 'after the files' },
    ] } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.results.map((x: any) => [x.message, x.recipient, x.status, x.condition]), [
      [0, 'bob@localhost', 'accepted', undefined],
      [1, 'bob@localhost', 'accepted', undefined],
      [2, 'bob@localhost', 'error', 'not-acceptable'],
      [2, 'alice@localhost', 'error', 'not-acceptable'],
      [3, 'bob@localhost', 'accepted', undefined],
    ]);
    const oob = await bob.inbox.next((el) => el.is('message') && !!el.getChild('x', 'jabber:x:oob'));
    const url = oob.getChild('x', 'jabber:x:oob')!.getChildText('url')!;
    // The text fallback is the URL itself, which clients that know OOB show as the file.
    assert.equal(oob.getChildText('body'), url);
    assert.equal(oob.getChild('wsi-content', 'urn:tern:wsi:0'), undefined);
    assert.match(url, new RegExp(`^https://upload\\.localhost:${server.uploadPort}/upload/localhost/[A-Za-z0-9_-]+/message-0\\.png$`));
    const got = await new Promise<{ status: number; type: string; bytes: Buffer }>((resolve, reject) => {
      const u = new URL(url);
      https.get({ host: '127.0.0.1', port: u.port, path: u.pathname, servername: u.hostname, ca: readFileSync(server.caFile), agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), bytes: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    assert.equal(got.status, 200);
    assert.equal(got.type, 'image/png');
    assert.ok(got.bytes.equals(big), 'the downloaded bytes are the ones sent');
    const inline = await bob.inbox.next((el) => el.is('message') && !!el.getChild('wsi-content', 'urn:tern:wsi:0'));
    assert.ok(Buffer.from(inline.getChild('wsi-content', 'urn:tern:wsi:0')!.text(), 'base64').equals(small));
    await bob.inbox.next((el) => el.is('message') && el.getChildText('body') === 'after the files');
  });
});
