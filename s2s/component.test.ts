/**
 * XEP-0114 external components over a real socket: a raw-socket component (what Kamailio's xmpp
 * module does on the wire: a version='1.0' header, then <handshake/>) attaches its domain and
 * exchanges stanzas with a Tern user; a wrong secret gets the not-authorized stream error, an
 * unconfigured domain host-unknown, a foreign 'from' invalid-from, and the domain is routed only
 * while the component is connected.
 */
import assert from 'node:assert/strict';
import { connect, createUser, errorCondition, is, RawClient, type TestClient, xml } from '../test/harness/clients.js';
import { startServer, type TestServer } from '../test/harness/server.js';
import { handshakeDigest } from './component.js';

const TERN = 'tern.test';
const GW = `gw.${TERN}`;
const SECRET = 'component-secret-1';

async function component(server: TestServer, domain: string, secret: string, version = true): Promise<RawClient> {
  const raw = await RawClient.connect(server.componentPort);
  raw.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}'${version ? " version='1.0'" : ''}>`);
  for (let i = 0; i < 100 && !raw.streamHeader; i++) await new Promise((r) => setTimeout(r, 20));
  const id = raw.streamHeader?.attrs.id;
  assert.ok(id, 'stream id in the header');
  raw.write(`<handshake>${handshakeDigest(id, secret)}</handshake>`);
  return raw;
}

describe('component protocol (XEP-0114) @e2e', function () {
  this.timeout(30_000);
  let tern: TestServer;
  let alice: TestClient;

  before(async () => {
    tern = await startServer({ domain: TERN, config: { components: [{ domain: GW, secret: SECRET }, { domain: `bot.${TERN}`, secret: 'another-secret' }] } });
    await createUser(tern, 'alice', 'alice-pass');
    alice = await connect(tern, 'alice', 'alice-pass');
  });

  after(async () => {
    await alice?.stop();
    await tern?.cleanup();
  });

  it('attaches with the right secret and exchanges stanzas both ways', async () => {
    const gw = await component(tern, GW, SECRET);
    await gw.inbox.next((el) => el.name === 'handshake', 5000, 'empty handshake');
    await alice.send(xml('message', { to: `sip+1234@${GW}`, type: 'chat', id: 'c1' }, xml('body', {}, 'to the gateway')));
    const m = await gw.inbox.next((el) => el.name === 'message', 5000, 'message at the component');
    assert.equal(m.attrs.from, alice.jid);
    assert.equal(m.attrs.to, `sip+1234@${GW}`);
    assert.equal(m.getChildText('body'), 'to the gateway');

    gw.write(`<message from='sip+1234@${GW}' to='${alice.jid}' type='chat'><body>from the gateway</body></message>`);
    const back = await alice.inbox.next(is.chat('from the gateway'), 5000, 'message from the component');
    assert.equal(back.attrs.from, `sip+1234@${GW}`);

    gw.write(`<iq from='${GW}' to='${TERN}' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const pong = await gw.inbox.next((el) => el.name === 'iq' && el.attrs.id === 'p1', 5000, 'ping reply');
    assert.equal(pong.attrs.type, 'result');
    assert.equal(pong.attrs.to, GW);

    // A second connection for the same domain is refused while the first is attached.
    const twin = await component(tern, GW, SECRET);
    assert.equal(await twin.streamError(), 'conflict');

    gw.write(`<message from='someone@${TERN}' to='${alice.jid}'><body>spoof</body></message>`);
    assert.equal(await gw.streamError(), 'invalid-from');
    await gw.closed;
    await alice.inbox.none(is.chat('spoof'));
  });

  it('does not route to the domain once the component is gone', async () => {
    // The domain is then remote, and no server answers for it.
    await alice.send(xml('message', { to: `x@${GW}`, type: 'chat', id: 'gone1' }, xml('body', {}, 'still there?')));
    const e = await alice.inbox.next((el) => el.attrs.id === 'gone1', 15_000, 'bounce');
    assert.equal(e.attrs.type, 'error');
    assert.equal(errorCondition(e), 'remote-server-not-found');
  });

  it('accepts a header without version too', async () => {
    const bot = await component(tern, `bot.${TERN}`, 'another-secret', false);
    await bot.inbox.next((el) => el.name === 'handshake', 5000, 'empty handshake');
    bot.end();
  });

  it('closes with not-authorized for a wrong secret', async () => {
    const bad = await component(tern, GW, 'wrong-secret');
    assert.equal(await bad.streamError(), 'not-authorized');
    await bad.closed;
  });

  it('closes with host-unknown for a domain without a configured secret', async () => {
    const raw = await RawClient.connect(tern.componentPort);
    raw.write(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='unknown.${TERN}'>`);
    assert.equal(await raw.streamError(), 'host-unknown');
  });
});
