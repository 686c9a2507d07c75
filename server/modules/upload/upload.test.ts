/**
 * XEP-0363 end to end: slots over XMPP (@xmpp/client), PUT and GET over real HTTPS against the
 * server's listener, verifying the test CA's certificate for upload.localhost (which the test
 * resolves to 127.0.0.1 itself: *.localhost does not resolve on every system).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { connect, createUser, type Element, errorCondition, type TestClient, xml } from '../../../test/harness/clients.js';
import { runSlixmpp } from '../../../test/harness/slixmpp.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

const NS = 'urn:xmpp:http:upload:0';
const MAX = 1_048_576;

interface HttpReply { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

function fetch(server: TestServer, url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<HttpReply> {
  const ca = readFileSync(server.caFile);
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      ca,
      agent: false,
      lookup: ((_host: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) =>
        (o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4))) as unknown as net.LookupFunction,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

interface Slot { put: string; get: string; headers: Record<string, string> }

function requestIq(filename: string, size: number, contentType?: string): Element {
  const attrs: Record<string, string> = { xmlns: NS, filename, size: String(size) };
  if (contentType) attrs['content-type'] = contentType;
  return xml('iq', { type: 'get', to: 'upload.localhost' }, xml('request', attrs));
}

async function slot(c: TestClient, filename: string, size: number, contentType?: string): Promise<Slot> {
  const r = await c.iq(requestIq(filename, size, contentType));
  assert.equal(r.attrs.type, 'result', r.toString());
  const s = r.getChild('slot', NS)!;
  const headers: Record<string, string> = {};
  for (const h of s.getChild('put')!.getChildren('header')) headers[h.attrs.name] = h.text();
  return { put: s.getChild('put')!.attrs.url, get: s.getChild('get')!.attrs.url, headers };
}

async function upload(server: TestServer, s: Slot, body: Buffer, contentType?: string): Promise<HttpReply> {
  return fetch(server, s.put, { method: 'PUT', body, headers: { ...s.headers, ...(contentType ? { 'Content-Type': contentType } : {}), 'Content-Length': String(body.length) } });
}

describe('HTTP file upload (XEP-0363) @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  let alice: TestClient;
  let carol: TestClient;
  let dave: TestClient;

  before(async () => {
    server = await startServer({ hosts: [], config: { hosts: [{ domain: 'localhost', registration: 'open', upload: { max_file_size: MAX, quota_bytes: 1_200_000, slots_per_minute: 10 } }] } });
    for (const u of ['alice', 'carol', 'dave']) await createUser(server, u, `${u}-pass`);
    alice = await connect(server, 'alice', 'alice-pass');
    carol = await connect(server, 'carol', 'carol-pass');
    dave = await connect(server, 'dave', 'dave-pass');
  });
  after(async () => {
    await Promise.all([alice, carol, dave].map((c) => c?.stop()));
    await server?.cleanup();
  });

  it('is listed by the server and describes itself with store/file and max-file-size (§3)', async () => {
    const items = await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    assert.ok(items.getChild('query')!.getChildren('item').some((i) => i.attrs.jid === 'upload.localhost'), items.toString());
    const info = (await alice.iq(xml('iq', { type: 'get', to: 'upload.localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))).getChild('query')!;
    const id = info.getChild('identity')!;
    assert.deepEqual([id.attrs.category, id.attrs.type], ['store', 'file']);
    assert.ok(info.getChildren('feature').some((f) => f.attrs.var === NS));
    const form = info.getChild('x', 'jabber:x:data')!;
    const field = (v: string) => form.getChildren('field').find((f) => f.attrs.var === v)?.getChildText('value');
    assert.equal(field('FORM_TYPE'), NS);
    assert.equal(field('max-file-size'), String(MAX));
  });

  it('uploads 300 KiB of random bytes and serves them back identical, with safe headers (§4, §6)', async () => {
    const bytes = randomBytes(300 * 1024);
    const s = await slot(alice, 'random.bin', bytes.length, 'application/octet-stream');
    assert.equal(s.put, s.get);
    assert.match(s.get, /^https:\/\/upload\.localhost:\d+\/upload\/localhost\/[A-Za-z0-9_-]{32}\/random\.bin$/);
    assert.ok(s.headers.Authorization, 'the PUT carries an Authorization header');
    const put = await upload(server, s, bytes, 'application/octet-stream');
    assert.equal(put.status, 201, put.body.toString());
    const got = await fetch(server, s.get);
    assert.equal(got.status, 200);
    assert.equal(createHash('sha256').update(got.body).digest('hex'), createHash('sha256').update(bytes).digest('hex'));
    assert.equal(got.headers['content-type'], 'application/octet-stream');
    assert.equal(got.headers['content-length'], String(bytes.length));
    assert.match(String(got.headers['content-disposition']), /^attachment; filename="random\.bin"/);
    assert.equal(got.headers['x-content-type-options'], 'nosniff');
    assert.match(String(got.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(got.headers['access-control-allow-origin'], '*');
    const head = await fetch(server, s.get, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(bytes.length));
    assert.equal(head.body.length, 0);
  });

  it('keeps any media type as uploaded, and a traversal-proof name', async () => {
    const bytes = randomBytes(4096);
    const type = 'application/vnd.tern.sample+cbor; version=2';
    const s = await slot(alice, '../../etc/pass wd', bytes.length, type);
    assert.match(s.get, /\/pass%20wd$/);
    assert.equal((await upload(server, s, bytes, type)).status, 201);
    const got = await fetch(server, s.get);
    assert.equal(got.headers['content-type'], type);
    assert.ok(got.body.equals(bytes));
    const stored = readdirSync(path.join(server.dataDir, 'upload', 'localhost'));
    assert.ok(stored.every((f) => /^[A-Za-z0-9_-]{32}$/.test(f)), `only ids on disk: ${stored.join(', ')}`);
    // A different (unguessed) id in the same place finds nothing.
    const other = s.get.replace(/\/[A-Za-z0-9_-]{32}\//, `/${randomBytes(24).toString('base64url')}/`);
    assert.equal((await fetch(server, other)).status, 404);
  });

  it('answers a file over the limit with not-acceptable and the maximum size (§5)', async () => {
    const r = await alice.iq(requestIq('big.iso', MAX + 1, 'application/octet-stream'));
    assert.equal(r.attrs.type, 'error');
    assert.equal(errorCondition(r), 'not-acceptable');
    assert.equal(r.getChild('error')!.attrs.type, 'modify');
    assert.equal(r.getChild('error')!.getChild('file-too-large', NS)?.getChildText('max-file-size'), String(MAX));
  });

  it('answers a request over the quota with resource-constraint (wait) and a text (§5)', async () => {
    const first = await slot(carol, 'a.bin', 700_000);
    assert.equal((await upload(server, first, randomBytes(700_000))).status, 201);
    const r = await carol.iq(requestIq('b.bin', 600_000));
    assert.equal(errorCondition(r), 'resource-constraint');
    const err = r.getChild('error')!;
    assert.equal(err.attrs.type, 'wait');
    assert.match(err.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /quota/);
    assert.ok(err.getChild('retry', NS)?.attrs.stamp, 'with a retry stamp');
    // Within the quota still works.
    await slot(carol, 'c.bin', 400_000);
  });

  it('refuses a second PUT to the same slot and keeps the first upload', async () => {
    const bytes = randomBytes(1000);
    const s = await slot(alice, 'once.txt', bytes.length, 'text/plain');
    assert.equal((await upload(server, s, bytes, 'text/plain')).status, 201);
    const again = await upload(server, s, randomBytes(1000), 'text/plain');
    assert.equal(again.status, 403);
    assert.ok((await fetch(server, s.get)).body.equals(bytes));
  });

  it('refuses a PUT whose size or type differs from the slot, or without its header', async () => {
    const s1 = await slot(alice, 'x.bin', 1000, 'application/octet-stream');
    assert.equal((await upload(server, s1, randomBytes(999), 'application/octet-stream')).status, 400);
    const s2 = await slot(alice, 'y.bin', 1000, 'application/octet-stream');
    assert.equal((await upload(server, s2, randomBytes(1001), 'application/octet-stream')).status, 413);
    const s3 = await slot(alice, 'z.png', 1000, 'image/png');
    assert.equal((await upload(server, s3, randomBytes(1000), 'text/html')).status, 415);
    const s4 = await slot(alice, 'w.bin', 10);
    const noAuth = await fetch(server, s4.put, { method: 'PUT', body: randomBytes(10), headers: { 'Content-Length': '10' } });
    assert.equal(noAuth.status, 403);
    for (const s of [s1, s2, s3]) assert.equal((await fetch(server, s.get)).status, 404, 'nothing was stored');
  });

  it('answers a CORS preflight so browser clients can upload', async () => {
    const s = await slot(dave, 'cors.bin', 10);
    const r = await fetch(server, s.put, { method: 'OPTIONS', headers: { Origin: 'https://web.example', 'Access-Control-Request-Method': 'PUT' } });
    assert.ok(r.status === 200 || r.status === 204);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.match(String(r.headers['access-control-allow-methods']), /PUT/);
    assert.match(String(r.headers['access-control-allow-headers']), /Authorization/);
  });

  it('limits slot requests per user per minute', async () => {
    let refused: Element | undefined;
    for (let i = 0; i < 12 && !refused; i++) {
      const r = await dave.iq(requestIq(`f${i}`, 1));
      if (r.attrs.type === 'error') refused = r;
    }
    assert.ok(refused, 'the eleventh request in a minute is refused');
    assert.equal(errorCondition(refused), 'resource-constraint');
    assert.equal(refused.getChild('error')!.attrs.type, 'wait');
  });

  it('rejects malformed requests with bad-request', async () => {
    const r = await alice.iq(xml('iq', { type: 'get', to: 'upload.localhost' }, xml('request', { xmlns: NS, filename: 'a', size: 'lots' })));
    assert.equal(errorCondition(r), 'bad-request');
  });

  it('works with slixmpp\'s xep_0363 plugin', async () => {
    await createUser(server, 'slix', 'slix-pass');
    const run = runSlixmpp('slix_upload.py', server, { jid: 'slix@localhost', password: 'slix-pass' });
    const code = await run.exited;
    assert.equal(code, 0, run.output());
    assert.match(run.output(), /service=upload\.localhost max-file-size=1048576/);
    assert.match(run.output(), /uploaded and fetched back 123457 identical bytes/);
  });
});

describe('HTTP file upload expiry and shutdown @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  let alice: TestClient;
  before(async () => {
    server = await startServer({ hosts: [], config: { hosts: [{ domain: 'localhost', registration: 'open', upload: { max_age_s: 1, sweep_interval_s: 1 } }] } });
    await createUser(server, 'alice', 'alice-pass');
    alice = await connect(server, 'alice', 'alice-pass');
  });
  after(async () => {
    await alice?.stop();
    await server?.cleanup();
  });

  it('deletes a file and its record once it is older than max_age_s', async () => {
    const bytes = randomBytes(2048);
    const s = await slot(alice, 'soon-gone.bin', bytes.length);
    assert.equal((await upload(server, s, bytes)).status, 201);
    assert.equal((await fetch(server, s.get)).status, 200);
    const id = /\/([A-Za-z0-9_-]{32})\//.exec(s.get)![1]!;
    const file = path.join(server.dataDir, 'upload', 'localhost', id);
    assert.ok(existsSync(file));
    await new Promise((r) => setTimeout(r, 2600));
    assert.equal((await fetch(server, s.get)).status, 404);
    assert.ok(!existsSync(file), 'the sweep removed the bytes');
  });

  it('closes the HTTPS listener when the server stops', async () => {
    const port = server.uploadPort;
    assert.ok(port > 0);
    await alice.stop();
    assert.equal(await server.stop(), 0);
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(false); });
      s.once('error', () => resolve(true));
    });
    assert.ok(refused, 'nothing listens on the upload port any more');
  });
});
