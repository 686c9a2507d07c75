/** The SIP gateway behind Kamailio (Debian's kamailio as the SIP proxy), sipp on the far side. */
import assert from 'node:assert/strict';
import { connect, createUser, errorCondition, type TestClient, xml } from '../../test/harness/clients.js';
import { startServer, type TestServer } from '../../test/harness/server.js';
import { type Kamailio, startKamailio } from './kamailio.js';
import { freeUdpPort, runSipp, uacMessage, uasMessage } from './sipp.js';

const DOMAIN = 'tern.test';
const GW = `sip.${DOMAIN}`;

describe('SIP gateway through Kamailio as the SIP proxy @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  let kamailio: Kamailio;
  let alice: TestClient;
  let kamPort: number;
  let uasPort: number;

  before(async () => {
    kamPort = await freeUdpPort();
    uasPort = await freeUdpPort();
    server = await startServer({
      domain: DOMAIN,
      config: {
        hosts: [{ domain: DOMAIN, registration: 'open', sip_gateway: { enabled: true, outbound_proxy: `127.0.0.1:${kamPort}` } }],
        listeners: { sip: { enabled: true, host: '127.0.0.1', port: 0 } },
      },
    });
    const ternPort = (server.logs.find((l) => l.msg === 'ready') as { ports: { sip: number } }).ports.sip;
    kamailio = await startKamailio({ port: kamPort, ternDomain: DOMAIN, ternPort, otherPort: uasPort });
    await createUser(server, 'alice', 'alice-pass');
    alice = await connect(server, 'alice', 'alice-pass', { resource: 'phone' });
  });
  after(async () => {
    await alice?.stop();
    await kamailio?.stop();
    await server?.cleanup();
  });

  it('sipp → Kamailio → Tern: a text/plain MESSAGE reaches the user; an unknown user\'s 404 comes back through the proxy', async () => {
    const port = await freeUdpPort();
    const run = runSipp(uacMessage({ to: `sip:alice@${DOMAIN}`, from: 'sip:romeo@sip.example', contentType: 'text/plain', body: 'via kamailio', expect: 200 }), [`127.0.0.1:${kamPort}`, '-p', String(port)]);
    const r = await run.done;
    assert.equal(r.code, 0, `${r.output}\n${kamailio.log()}`);
    const m = await alice.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'via kamailio\r\n');
    assert.equal(m.attrs.from, `romeo%sip.example@${GW}`);
    assert.match(kamailio.log(), /relaying MESSAGE sip:alice@tern\.test/);
    const run404 = runSipp(uacMessage({ to: `sip:nobody@${DOMAIN}`, from: 'sip:romeo@sip.example', contentType: 'text/plain', body: 'x', expect: 404 }), [`127.0.0.1:${kamPort}`, '-p', String(await freeUdpPort())]);
    assert.equal((await run404.done).code, 0);
  });

  it('Tern → Kamailio → sipp UAS: the message/cpim body arrives intact; a 486 from the far side is recipient-unavailable', async () => {
    const ok = runSipp(uasMessage({ status: 200, reason: 'OK', checks: [{ regexp: 'Content-Type: message/cpim', in: 'msg' }, { regexp: 'Via: SIP/2\\.0/UDP 127\\.0\\.0\\.1', in: 'msg' }, { regexp: '\r\n\r\nHello through the proxy$', in: 'body' }] }), ['-p', String(uasPort)]);
    try {
      await new Promise((res) => setTimeout(res, 300));
      await alice.send(xml('message', { to: `juliet%sip.example@${GW}`, id: 'k1' }, xml('body', {}, 'Hello through the proxy')));
      const r = await ok.done;
      assert.equal(r.code, 0, r.output);
    } finally {
      ok.stop();
    }
    const busy = runSipp(uasMessage({ status: 486, reason: 'Busy Here', checks: [{ regexp: 'MESSAGE', in: 'msg' }] }), ['-p', String(uasPort)]);
    try {
      await new Promise((res) => setTimeout(res, 300));
      await alice.send(xml('message', { to: `juliet%sip.example@${GW}`, id: 'k2' }, xml('body', {}, 'busy?')));
      const err = await alice.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'k2');
      assert.equal(errorCondition(err), 'recipient-unavailable');
      await busy.done;
    } finally {
      busy.stop();
    }
  });
});
