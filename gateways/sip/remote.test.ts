/**
 * sip_gateway.route_remote: a SIP MESSAGE for a domain other than the gateway's host is routed on —
 * to a second host of the same Tern, and over s2s (XEP-0220 dialback) to a federated Tern.
 */
import assert from 'node:assert/strict';
import { connect, createUser } from '../../test/harness/clients.js';
import { startServer, type TestServer } from '../../test/harness/server.js';
import { freePort } from '../../s2s/testing/prosody.js';
import { freeUdpPort, runSipp, uacMessage } from './sipp.js';

const A = 'a.test';
const B = 'b.test';

async function sippUac(sipPort: number, o: Parameters<typeof uacMessage>[0]) {
  const run = runSipp(uacMessage(o), [`127.0.0.1:${sipPort}`, '-p', String(await freeUdpPort())]);
  try {
    return await run.done;
  } finally {
    run.stop();
  }
}

describe('SIP gateway routing to other domains (route_remote) @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  let sipPort: number;

  before(async () => {
    server = await startServer({
      domain: A,
      hosts: [],
      config: {
        hosts: [
          { domain: A, registration: 'open', sip_gateway: { enabled: true, route_remote: true } },
          { domain: B, registration: 'open' },
        ],
        listeners: { sip: { enabled: true, host: '127.0.0.1', port: 0 } },
      },
    });
    sipPort = (server.logs.find((l) => l.msg === 'ready') as { ports: { sip: number } }).ports.sip;
  });
  after(async () => {
    await server?.cleanup();
  });

  const uac = (o: Parameters<typeof uacMessage>[0]) => sippUac(sipPort, o);

  it('a MESSAGE to a user of the second host (no gateway of its own) is answered 202 and delivered from user%domain@sip.<first host>', async () => {
    const onB = { ...server, domain: B };
    await createUser(onB, 'bob', 'bob-pass');
    const bob = await connect(onB, 'bob', 'bob-pass', { resource: 'r' });
    try {
      const r = await uac({ to: `sip:bob@${B}`, from: 'sip:romeo@sip.example', contentType: 'text/plain', body: 'across hosts', expect: 202 });
      assert.equal(r.code, 0, r.output);
      const m = await bob.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'across hosts\r\n', 10_000, 'the routed message');
      assert.equal(m.attrs.from, `romeo%sip.example@sip.${A}`);
      assert.equal(m.attrs.to, `bob@${B}`);
    } finally {
      await bob.stop();
    }
  });

  it('a local user still gets 200, an unknown local user 404, and the gateway domain itself 404', async () => {
    await createUser(server, 'alice', 'alice-pass');
    const alice = await connect(server, 'alice', 'alice-pass', { resource: 'r' });
    try {
      const ok = await uac({ to: `sip:alice@${A}`, from: 'sip:romeo@sip.example', contentType: 'text/plain', body: 'local', expect: 200 });
      assert.equal(ok.code, 0, ok.output);
      await alice.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'local\r\n');
    } finally {
      await alice.stop();
    }
    const nobody = await uac({ to: `sip:nobody@${A}`, from: 'sip:romeo@sip.example', contentType: 'text/plain', body: 'x', expect: 404 });
    assert.equal(nobody.code, 0, nobody.output);
    const gw = await uac({ to: `sip:x@sip.${A}`, from: 'sip:romeo@sip.example', contentType: 'text/plain', body: 'x', expect: 404 });
    assert.equal(gw.code, 0, gw.output);
  });
});

describe('SIP gateway routing to a federated server (route_remote, s2s) @e2e', function () {
  this.timeout(90_000);
  let a: TestServer;
  let c: TestServer;

  after(async () => {
    await Promise.all([a, c].map((s) => s?.cleanup()));
  });

  it('a MESSAGE to sip:carol@c.test goes over s2s from sip.a.test and reaches carol on the other Tern', async () => {
    const ports = { [A]: await freePort(), 'c.test': await freePort() };
    c = await startServer({
      domain: 'c.test',
      config: {
        listeners: { s2s: { port: ports['c.test'] } },
        s2s: { domains: { [A]: { host: '127.0.0.1', port: ports[A] }, [`sip.${A}`]: { host: '127.0.0.1', port: ports[A] } } },
        hosts: [{ domain: 'c.test', registration: 'open' }],
      },
    });
    a = await startServer({
      domain: A,
      config: {
        listeners: { s2s: { port: ports[A] }, sip: { enabled: true, host: '127.0.0.1', port: 0 } },
        s2s: { domains: { 'c.test': { host: '127.0.0.1', port: ports['c.test'] } } },
        hosts: [{ domain: A, registration: 'open', sip_gateway: { enabled: true, route_remote: true } }],
      },
    });
    const sipPort = (a.logs.find((l) => l.msg === 'ready') as { ports: { sip: number } }).ports.sip;
    await createUser(c, 'carol', 'carol-pass');
    const carol = await connect(c, 'carol', 'carol-pass', { resource: 'r' });
    try {
      const r = await sippUac(sipPort, { to: 'sip:carol@c.test', from: 'sip:romeo@sip.example', contentType: 'text/plain', body: 'over s2s', expect: 202 });
      assert.equal(r.code, 0, r.output);
      const m = await carol.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'over s2s\r\n', 30_000, 'the federated message');
      assert.equal(m.attrs.from, `romeo%sip.example@sip.${A}`);
      assert.equal(m.attrs.to, 'carol@c.test');
    } finally {
      await carol.stop();
    }
  });
});
