/** The SIP gateway end to end with Debian's sipp as the SIP side and @xmpp/client as the XMPP side. */
import assert from 'node:assert/strict';
import { connect, createUser, errorCondition, type TestClient, xml } from '../../test/harness/clients.js';
import { startServer, type TestServer } from '../../test/harness/server.js';
import { freeUdpPort, pidf, runSipp, uacMessage, uacSubscribe, uasMessage, uasNotifier } from './sipp.js';

const DOMAIN = 'tern.test';
const GW = `sip.${DOMAIN}`;

describe('SIP gateway with sipp (RFC 7572, RFC 3428) @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  let alice: TestClient;
  let sipPort: number;
  let uasPort: number;

  before(async () => {
    uasPort = await freeUdpPort();
    server = await startServer({
      domain: DOMAIN,
      config: {
        hosts: [{ domain: DOMAIN, registration: 'open', sip_gateway: { enabled: true, outbound_proxy: `127.0.0.1:${uasPort}` } }],
        listeners: { sip: { enabled: true, host: '127.0.0.1', port: 0 } },
      },
    });
    const ready = server.logs.find((l) => l.msg === 'ready') as { ports: { sip: number } };
    sipPort = ready.ports.sip;
    assert.ok(sipPort > 0);
    await createUser(server, 'alice', 'alice-pass');
    alice = await connect(server, 'alice', 'alice-pass', { resource: 'phone' });
  });
  after(async () => {
    await alice?.stop();
    await server?.cleanup();
  });

  const uac = async (o: Parameters<typeof uacMessage>[0], transport: 'u1' | 't1' = 'u1') => {
    const port = await freeUdpPort();
    const run = runSipp(uacMessage(o), [`127.0.0.1:${sipPort}`, '-p', String(port), '-t', transport]);
    try {
      return await run.done;
    } finally {
      run.stop();
    }
  };

  it('a text/plain MESSAGE over UDP reaches the Tern user (200), from user%domain@sip.<domain>', async () => {
    const r = await uac({ to: `sip:alice@${DOMAIN}`, from: 'sip:romeo@sip.example', contentType: 'text/plain', body: 'Hello from SIP', expect: 200 });
    assert.equal(r.code, 0, r.output);
    const m = await alice.inbox.next((el) => el.name === 'message' && el.getChildText('body') !== null);
    assert.equal(m.attrs.from, `romeo%sip.example@${GW}`);
    assert.equal(m.attrs.to, `alice@${DOMAIN}`);
    assert.equal(m.getChildText('body'), 'Hello from SIP\r\n');
  });

  it('a message/cpim MESSAGE over TCP: subject and body arrive, a receipt is requested', async () => {
    const body = ['From: <im:romeo@sip.example>', 'To: <im:alice@tern.test>', 'DateTime: 2026-12-01T12:00:00Z', 'Subject:;lang=en Greetings', 'NS: imdn <urn:ietf:params:imdn>',
      'imdn.Message-ID: m-77', 'imdn.Disposition-Notification: positive-delivery', '', 'Content-type: text/plain; charset=utf-8', '', 'Wherefore art thou'].join('\n');
    const r = await uac({ to: `sip:alice@${DOMAIN}`, from: 'sip:romeo@sip.example', contentType: 'message/cpim', body, expect: 200 }, 't1');
    assert.equal(r.code, 0, r.output);
    const m = await alice.inbox.next((el) => el.name === 'message' && el.getChildText('body') !== null);
    assert.equal(m.attrs.from, `romeo%sip.example@${GW}`);
    assert.equal(m.attrs.id, 'm-77');
    assert.equal(m.getChild('subject')?.attrs['xml:lang'], 'en');
    assert.equal(m.getChildText('subject'), 'Greetings');
    assert.equal(m.getChildText('body'), 'Wherefore art thou\r\n');
    assert.ok(m.getChild('request', 'urn:xmpp:receipts'));
  });

  it('a user without a session gets 202 Accepted and the message from offline storage on login', async () => {
    await createUser(server, 'bob', 'bob-pass');
    const r = await uac({ to: `sip:bob@${DOMAIN}`, from: 'sip:romeo@sip.example', contentType: 'text/plain', body: 'while you were out', expect: 202 });
    assert.equal(r.code, 0, r.output);
    const bob = await connect(server, 'bob', 'bob-pass', { resource: 'r' });
    try {
      const m = await bob.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'while you were out\r\n');
      assert.equal(m.attrs.from, `romeo%sip.example@${GW}`);
    } finally {
      await bob.stop();
    }
  });

  it('an unknown user gets 404', async () => {
    const r = await uac({ to: `sip:nobody@${DOMAIN}`, from: 'sip:romeo@sip.example', contentType: 'text/plain', body: 'hi', expect: 404 });
    assert.equal(r.code, 0, r.output);
  });

  it('a CPIM body with Require of an unknown header gets 488 and is not delivered', async () => {
    const body = ['From: <im:romeo@sip.example>', 'To: <im:alice@tern.test>', 'NS: MyFeatures <mid:MessageFeatures@id.foo.com>', 'Require: MyFeatures.VitalMessageOption',
      'MyFeatures.VitalMessageOption: Confirmation-requested', '', 'Content-type: text/plain', '', 'must not arrive'].join('\n');
    const r = await uac({ to: `sip:alice@${DOMAIN}`, from: 'sip:romeo@sip.example', contentType: 'message/cpim', body, expect: 488 });
    assert.equal(r.code, 0, r.output);
    await alice.inbox.none((el) => el.getChildText('body') === 'must not arrive\r\n', 300);
  });

  it('an unsupported body type gets 415; a SIP Require option tag gets 420', async () => {
    const a = await uac({ to: `sip:alice@${DOMAIN}`, from: 'sip:romeo@sip.example', contentType: 'application/json', body: '{}', expect: 415 });
    assert.equal(a.code, 0, a.output);
    const b = await uac({ to: `sip:alice@${DOMAIN}`, from: 'sip:romeo@sip.example', contentType: 'text/plain', body: 'x', expect: 420, extraHeaders: ['Require: 100rel-of-the-future'] });
    assert.equal(b.code, 0, b.output);
  });

  it('a Tern user writes to a SIP user: sipp UAS checks the message/cpim body and answers 200', async () => {
    const uas = runSipp(uasMessage({
      status: 200, reason: 'OK',
      checks: [
        { regexp: '^MESSAGE sip:juliet@sip\\.example SIP/2\\.0', in: 'msg' },
        { regexp: 'Content-Type: message/cpim', in: 'msg' },
        { regexp: 'From: <sip:alice@tern\\.test>;tag=', in: 'msg' },
        { regexp: '^From: <im:alice@tern\\.test>\r\nTo: <im:juliet@sip\\.example>\r\nDateTime: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\r\n\r\nContent-type: text/plain; charset=utf-8\r\nContent-ID: <[0-9a-f]+@sip\\.tern\\.test>\r\n\r\nHello Juliet$', in: 'body' },
      ],
    }), ['-p', String(uasPort)]);
    try {
      await new Promise((r) => setTimeout(r, 300));
      await alice.send(xml('message', { to: `juliet%sip.example@${GW}`, type: 'chat', id: 'to-sip-1' }, xml('body', {}, 'Hello Juliet')));
      const r = await uas.done;
      assert.equal(r.code, 0, r.output);
      await alice.inbox.none((el) => el.attrs.type === 'error', 300);
    } finally {
      uas.stop();
    }
  });

  it('an XEP-0184 receipt from the Tern user goes to SIP as an IMDN delivery notification (RFC 5438)', async () => {
    const uas = runSipp(uasMessage({
      status: 200, reason: 'OK',
      checks: [
        { regexp: '^MESSAGE sip:romeo@sip\\.example SIP/2\\.0', in: 'msg' },
        { regexp: 'NS: imdn <urn:ietf:params:imdn>\r\nimdn\\.Message-ID: [0-9a-f]{24}\r\n\r\nContent-type: message/imdn\\+xml\r\nContent-Disposition: notification\r\n', in: 'body' },
        { regexp: '<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>m-77</message-id><datetime>[^<]+</datetime><delivery-notification><status><delivered/></status></delivery-notification></imdn>$', in: 'body' },
      ],
    }), ['-p', String(uasPort)]);
    try {
      await new Promise((r) => setTimeout(r, 300));
      await alice.send(xml('message', { to: `romeo%sip.example@${GW}`, id: 'rcpt-1' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: 'm-77' })));
      const r = await uas.done;
      assert.equal(r.code, 0, r.output);
    } finally {
      uas.stop();
    }
  });

  it('a SIP 404 comes back to the Tern user as item-not-found (RFC 7247 §6)', async () => {
    const uas = runSipp(uasMessage({ status: 404, reason: 'Not Found', checks: [{ regexp: 'Content-Type: message/cpim', in: 'msg' }] }), ['-p', String(uasPort)]);
    try {
      await new Promise((r) => setTimeout(r, 300));
      await alice.send(xml('message', { to: `nobody%sip.example@${GW}`, type: 'chat', id: 'to-sip-2' }, xml('body', {}, 'anyone?')));
      const err = await alice.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error');
      assert.equal(err.attrs.id, 'to-sip-2');
      assert.equal(err.attrs.from, `nobody%sip.example@${GW}`);
      assert.equal(errorCondition(err), 'item-not-found');
      assert.equal((await uas.done).code, 0);
    } finally {
      uas.stop();
    }
  });

  it('an address that is not user%domain gets item-not-found from the gateway', async () => {
    await alice.send(xml('message', { to: `juliet@${GW}`, id: 'bad-addr' }, xml('body', {}, 'x')));
    const err = await alice.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'bad-addr');
    assert.equal(errorCondition(err), 'item-not-found');
  });

  it('presence (RFC 7248 §4): a sipp watcher gets NOTIFY pending, then PIDF open with the note after approval, then closed', async () => {
    await createUser(server, 'carol', 'carol-pass');
    const carol = await connect(server, 'carol', 'carol-pass', { resource: 'balcony' });
    let stopped = false;
    const port = await freeUdpPort();
    const watcher = runSipp(uacSubscribe({
      to: `sip:carol@${DOMAIN}`, from: 'sip:romeo@sip.example',
      notifies: [
        [{ regexp: 'Subscription-State: pending;expires=[0-9]+', in: 'msg' }, { regexp: 'Event: presence', in: 'msg' }],
        [{ regexp: 'Subscription-State: active;expires=[0-9]+', in: 'msg' }, { regexp: 'Content-Type: application/pidf\\+xml', in: 'msg' },
          { regexp: '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:carol@tern\\.test"><tuple id="[a-z0-9]+"><status><basic>open</basic></status><note>on the balcony</note></tuple></presence>', in: 'body' }],
        [{ regexp: '<basic>closed</basic>', in: 'body' }],
      ],
    }), [`127.0.0.1:${sipPort}`, '-p', String(port)]);
    try {
      await carol.send(xml('presence', {}, xml('status', {}, 'on the balcony')));
      const sub = await carol.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe', 10_000, 'a subscription request');
      assert.equal(sub.attrs.from, `romeo%sip.example@${GW}`);
      await new Promise((r) => setTimeout(r, 300));
      await carol.send(xml('presence', { type: 'subscribed', to: sub.attrs.from }));
      await new Promise((r) => setTimeout(r, 700));
      await carol.stop();
      stopped = true;
      const r = await watcher.done;
      assert.equal(r.code, 0, r.output);
    } finally {
      watcher.stop();
      if (!stopped) await carol.stop();
    }
  });

  it('presence (RFC 7248 §5): a Tern user subscribes to a SIP user; SUBSCRIBE, NOTIFY open/closed, refresh, unsubscribe with Expires: 0', async () => {
    await createUser(server, 'dave', 'dave-pass');
    const dave = await connect(server, 'dave', 'dave-pass', { resource: 'desk' });
    const juliet = `juliet%sip.example@${GW}`;
    const notifier = runSipp(uasNotifier({
      watcher: `sip:dave@${DOMAIN}`, entity: 'sip:juliet@sip.example', expires: 3,
      subscribes: [
        [{ regexp: '^SUBSCRIBE sip:juliet@sip\\.example SIP/2\\.0', in: 'msg' }, { regexp: 'From: <sip:dave@tern\\.test>;tag=', in: 'msg' },
          { regexp: 'Event: presence', in: 'msg' }, { regexp: 'Accept: application/pidf\\+xml', in: 'msg' }, { regexp: 'Expires: 600', in: 'msg' },
          { regexp: 'Contact: <sip:dave@tern\\.test>', in: 'msg' }, { regexp: 'CSeq: 1 SUBSCRIBE', in: 'msg' }],
        [{ regexp: 'CSeq: 2 SUBSCRIBE', in: 'msg' }, { regexp: 'To: <sip:juliet@sip\\.example>;tag=[0-9]+SIPpTag01', in: 'msg' }, { regexp: 'Expires: 600', in: 'msg' }],
        [{ regexp: 'CSeq: 3 SUBSCRIBE', in: 'msg' }, { regexp: 'Expires: 0', in: 'msg' }],
      ],
      notifies: [
        { state: 'active;expires=3', pidf: pidf('pres:juliet@sip.example', 'open', 'at the window') },
        { state: 'active;expires=3', pidf: pidf('pres:juliet@sip.example', 'closed', 'asleep') },
        { state: 'terminated;reason=timeout' },
      ],
    }), ['-p', String(uasPort)]);
    try {
      await dave.send(xml('presence'));
      await new Promise((r) => setTimeout(r, 300));
      await dave.send(xml('presence', { type: 'subscribe', to: juliet }));
      const ok = await dave.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'subscribed', 10_000, 'subscribed');
      assert.equal(ok.attrs.from, juliet);
      const on = await dave.inbox.next((el) => el.name === 'presence' && el.attrs.from === juliet && el.attrs.type === undefined, 10_000, 'available');
      assert.equal(on.getChildText('status'), 'at the window');
      // The closed PIDF comes only after the gateway refreshed (granted 3 s → re-SUBSCRIBE at 2.4 s).
      const off = await dave.inbox.next((el) => el.name === 'presence' && el.attrs.from === juliet && el.attrs.type === 'unavailable', 10_000, 'unavailable');
      assert.equal(off.getChildText('status'), 'asleep');
      const roster = await dave.iq(xml('iq', { type: 'get', id: 'r1' }, xml('query', { xmlns: 'jabber:iq:roster' })));
      assert.equal(roster.getChild('query')?.getChildren('item').find((i) => i.attrs.jid === juliet)?.attrs.subscription, 'to');
      // A second session's initial presence makes the server probe the contact: the gateway answers
      // with the last state the SIP side notified, without a new SUBSCRIBE.
      const laptop = await connect(server, 'dave', 'dave-pass', { resource: 'laptop' });
      try {
        await laptop.send(xml('presence'));
        const probed = await laptop.inbox.next((el) => el.name === 'presence' && el.attrs.from === juliet, 10_000, 'presence answering the probe');
        assert.equal(probed.attrs.type, 'unavailable');
        assert.equal(probed.getChildText('status'), 'asleep');
      } finally {
        await laptop.stop();
      }
      await dave.send(xml('presence', { type: 'unsubscribe', to: juliet }));
      const r = await notifier.done;
      assert.equal(r.code, 0, r.output);
      await dave.inbox.none((el) => el.name === 'presence' && el.attrs.type === 'unsubscribed', 500);
    } catch (e) {
      notifier.stop();
      console.log((await notifier.done).output);
      throw e;
    } finally {
      notifier.stop();
      await dave.stop();
    }
  });

  it('presence (RFC 7248 §5): a SIP 404 to the SUBSCRIBE comes back as a presence error item-not-found and unsubscribed', async () => {
    await createUser(server, 'erin', 'erin-pass');
    const erin = await connect(server, 'erin', 'erin-pass', { resource: 'desk' });
    const ghost = `ghost%sip.example@${GW}`;
    const uas = runSipp(uasMessage({ method: 'SUBSCRIBE', status: 404, reason: 'Not Found', checks: [{ regexp: '^SUBSCRIBE sip:ghost@sip\\.example SIP/2\\.0', in: 'msg' }, { regexp: 'Event: presence', in: 'msg' }] }), ['-p', String(uasPort)]);
    try {
      await new Promise((r) => setTimeout(r, 300));
      await erin.send(xml('presence', { type: 'subscribe', to: ghost }));
      const err = await erin.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'error', 10_000, 'presence error');
      assert.equal(err.attrs.from, ghost);
      assert.equal(errorCondition(err), 'item-not-found');
      const no = await erin.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'unsubscribed', 10_000, 'unsubscribed');
      assert.equal(no.attrs.from, ghost);
      assert.equal((await uas.done).code, 0);
    } finally {
      uas.stop();
      await erin.stop();
    }
  });

  it('a MESSAGE for a domain that is not local gets 404 by default (sip_gateway.route_remote: false)', async () => {
    const r = await uac({ to: 'sip:bob@remote.example', from: 'sip:romeo@sip.example', contentType: 'text/plain', body: 'relay me', expect: 404 });
    assert.equal(r.code, 0, r.output);
  });
});
