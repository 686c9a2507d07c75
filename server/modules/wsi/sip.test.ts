/**
 * WSI SendMessages to sip: recipients (WSI-11) end to end: a real Tern with its SIP gateway whose
 * outbound proxy is Debian's sipp as the SIP UAS; the REST call's per-recipient status is the
 * gateway's answer (accepted, or the RFC 7247 §6 condition of a SIP error within waitMs), and a
 * malformed sip: URI is jid-malformed for that recipient only.
 */
import assert from 'node:assert/strict';
import { createUser } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { wsiRest } from '../../../test/harness/wsi.js';
import { freeUdpPort, runSipp, uasMessage } from '../../../gateways/sip/sipp.js';
import { tokenDigest } from './index.js';

const TOKEN = 'sip-inbox-token';
const base = '/wsi/localhost/game';

describe('WSI SendMessages to sip: recipients through the SIP gateway with sipp @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  let uasPort: number;

  before(async () => {
    uasPort = await freeUdpPort();
    server = await startServer({
      hosts: [],
      config: {
        hosts: [{
          domain: 'localhost', registration: 'open',
          wsi: { inboxes: [{ username: 'game', token_sha256: tokenDigest(TOKEN) }] },
          sip_gateway: { enabled: true, outbound_proxy: `127.0.0.1:${uasPort}` },
        }],
        listeners: { sip: { enabled: true, host: '127.0.0.1', port: 0 } },
      },
    });
    await createUser(server, 'bob', 'bob-pass');
  });
  after(async () => {
    await server?.cleanup();
  });

  it('sip:romeo@127.0.0.1 leaves as a SIP MESSAGE with the CPIM body and is accepted; a malformed sip: URI is jid-malformed for that recipient only', async () => {
    const uas = runSipp(uasMessage({
      status: 200, reason: 'OK',
      checks: [
        { regexp: '^MESSAGE sip:romeo@127\\.0\\.0\\.1 SIP/2\\.0', in: 'msg' },
        { regexp: 'Content-Type: message/cpim', in: 'msg' },
        { regexp: 'From: <sip:game@localhost>;tag=', in: 'msg' },
        { regexp: '^From: <im:game@localhost>\r\nTo: <im:romeo@127\\.0\\.0\\.1>\r\nDateTime: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\r\n\r\nContent-type: text/plain; charset=utf-8\r\nContent-ID: <[^>]+>\r\n\r\nyour move, Romeo$', in: 'body' },
      ],
    }), ['-p', String(uasPort)]);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const r = await wsiRest(server, 'POST', `${base}/messages`, { token: TOKEN, body: { waitMs: 3000, messages: [
        { to: ['sip:romeo@127.0.0.1', 'sip:@127.0.0.1', 'sip:127.0.0.1', 'bob@localhost'], body: 'your move, Romeo' },
      ] } });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.results.map((x: any) => [x.recipient, x.status, x.condition, x.jid]), [
        ['sip:romeo@127.0.0.1', 'accepted', undefined, 'romeo%127.0.0.1@sip.localhost'],
        ['sip:@127.0.0.1', 'error', 'jid-malformed', undefined],
        ['sip:127.0.0.1', 'error', 'jid-malformed', undefined],
        ['bob@localhost', 'accepted', undefined, 'bob@localhost'],
      ]);
      const done = await uas.done;
      assert.equal(done.code, 0, done.output);
    } finally {
      uas.stop();
    }
  });

  it('a SIP 404 from the SIP side within waitMs is the recipient\'s status item-not-found (RFC 7247 §6)', async () => {
    const uas = runSipp(uasMessage({ status: 404, reason: 'Not Found', checks: [{ regexp: '^MESSAGE sips?:nobody@127\\.0\\.0\\.1 SIP/2\\.0', in: 'msg' }] }), ['-p', String(uasPort)]);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const r = await wsiRest(server, 'POST', `${base}/messages`, { token: TOKEN, body: { waitMs: 5000, messages: [{ to: 'sips:nobody@127.0.0.1', body: 'anyone?' }] } });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.results.map((x: any) => [x.recipient, x.status, x.condition, x.jid]), [
        ['sips:nobody@127.0.0.1', 'error', 'item-not-found', 'nobody%127.0.0.1@sip.localhost'],
      ]);
      assert.equal((await uas.done).code, 0);
      // The bounce was a status, not an inbox message.
      const inbox = await wsiRest(server, 'GET', `${base}/messages`, { token: TOKEN });
      assert.deepEqual(inbox.body.messages, []);
    } finally {
      uas.stop();
    }
  });
});
