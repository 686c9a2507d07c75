/**
 * Phone numbers as addresses end to end: three hosts on one Tern (localhost, b.test, c.test) stand
 * in for three operators until s2s lands — cross-host lookups go through the router exactly as they
 * will through s2s. ENUM answers come from a real dnsmasq on loopback.
 */
import assert from 'node:assert/strict';
import { connect, createUser, errorCondition, type Element, type TestClient, xml } from '../../../test/harness/clients.js';
import { type Dnsmasq, startDnsmasq } from '../../../test/harness/dnsmasq.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { runSlixmpp } from '../../../test/harness/slixmpp.js';
import { enumDomain } from '../../../gateways/msisdn/enum.js';

const GW = 'jabber:iq:gateway';
const ALICE = '+447911123456';      // localhost, discoverable
const CAROL = '+447911123457';      // localhost, verified but undiscoverable
const UNKNOWN = '+447911123458';
const BOB = '+33612345678';         // b.test, by the prefix table (+336 → b.test)
const DAVE = '+33612345679';        // b.test, undiscoverable
const ENUM_BOB = '+4915123456789';  // ENUM → xmpp:bob@b.test
const NOWHERE = '+33756123456';     // prefix → nowhere.test (remote: no s2s here)

const lookup = (c: TestClient, to: string, number: string) =>
  c.iq(xml('iq', { type: 'set', to }, xml('query', { xmlns: GW }, xml('prompt', {}, number))));
const jidOf = (r: Element) => r.getChild('query', GW)?.getChildText('jid');

describe('msisdn gateway (XEP-0100 §6.3, ENUM, prefix table) @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  let dns: Dnsmasq;
  let alice: TestClient;
  let carol: TestClient;
  let bob: TestClient;
  let eve: TestClient;
  const on = (domain: string): TestServer => ({ ...server, domain });

  before(async () => {
    dns = await startDnsmasq(['e164.arpa'], [
      { name: enumDomain(ENUM_BOB, 'e164.arpa'), order: 10, preference: 10, flags: 'u', service: 'E2U+xmpp', regexp: '!^\\+(49)(.*)$!xmpp:bob@b.test!' },
    ]);
    server = await startServer({
      config: {
        hosts: [
          { domain: 'localhost', registration: 'open', msisdn: { default_region: 'GB', enum_servers: [dns.server], prefixes: [{ prefix: '+336', domain: 'b.test' }, { prefix: '+337', domain: 'nowhere.test' }], lookup_timeout_ms: 2000 } },
          { domain: 'b.test', registration: 'open', msisdn: { allowed_peers: ['localhost'], enum_suffixes: [] } },
          { domain: 'c.test', registration: 'open', msisdn: { allowed_peers: ['b.test'], peer_lookups_per_minute: 3, enum_suffixes: [] } },
        ],
      },
    });
    await createUser(server, 'alice', 'alice-pass');
    await createUser(server, 'carol', 'carol-pass');
    await createUser(on('b.test'), 'bob', 'bob-pass');
    await createUser(on('b.test'), 'dave', 'dave-pass');
    await createUser(on('c.test'), 'eve', 'eve-pass');
    await server.stop();
    for (const [n, j] of [[ALICE, 'alice@localhost'], ['07911 123457', 'carol@localhost'], [BOB, 'bob@b.test'], [DAVE, 'dave@b.test']] as const) {
      const r = await server.cli(['msisdn', 'link', n, j]);
      assert.equal(r.code, 0, r.stderr);
    }
    const shown = await server.cli(['msisdn', 'show', 'carol@localhost']);
    assert.match(shown.stdout, /\+447911123457 verified/);
    await server.restart();
    alice = await connect(server, 'alice', 'alice-pass');
    carol = await connect(server, 'carol', 'carol-pass');
    bob = await connect(on('b.test'), 'bob', 'bob-pass');
    eve = await connect(on('c.test'), 'eve', 'eve-pass');
    for (const c of [alice, bob]) {
      const r = await c.iq(xml('iq', { type: 'set' }, xml('numbers', { xmlns: 'urn:tern:msisdn:0', discoverable: 'true' })));
      assert.equal(r.attrs.type, 'result');
    }
  });
  after(async () => {
    await Promise.all([alice, carol, bob, eve].map((c) => c?.stop()));
    await server?.cleanup();
    await dns?.stop();
  });
  afterEach(() => { for (const c of [alice, carol, bob, eve]) c?.inbox.clear(); });

  it('is a gateway/pstn with jabber:iq:gateway, listed in the host\'s items', async () => {
    const info = await alice.iq(xml('iq', { type: 'get', to: 'msisdn.localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const q = info.getChild('query')!;
    assert.deepEqual(q.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`), ['gateway/pstn']);
    assert.ok(q.getChildren('feature').some((f) => f.attrs.var === GW));
    const items = await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    assert.ok(items.getChild('query')!.getChildren('item').some((i) => i.attrs.jid === 'msisdn.localhost'));
  });

  it('GET gives the description and prompt (§6.3)', async () => {
    const r = await alice.iq(xml('iq', { type: 'get', to: 'msisdn.localhost' }, xml('query', { xmlns: GW })));
    assert.equal(r.attrs.type, 'result');
    assert.ok(r.getChild('query', GW)!.getChildText('desc'));
    assert.equal(r.getChild('query', GW)!.getChildText('prompt'), 'Phone number');
  });

  it('SET translates a number in any written form to the account\'s bare JID', async () => {
    assert.equal(jidOf(await lookup(carol, 'msisdn.localhost', ALICE)), 'alice@localhost');
    assert.equal(jidOf(await lookup(carol, 'msisdn.localhost', '07911 123456')), 'alice@localhost', 'national form, default region GB');
    assert.equal(jidOf(await lookup(carol, 'msisdn.localhost', '+44 (0)7911-123456')), 'alice@localhost');
  });

  it('not a valid number → not-acceptable; unknown → item-not-found', async () => {
    for (const n of ['112', 'alice', '+4479', '']) assert.equal(errorCondition(await lookup(alice, 'msisdn.localhost', n)), 'not-acceptable', n);
    assert.equal(errorCondition(await lookup(alice, 'msisdn.localhost', UNKNOWN)), 'item-not-found');
  });

  it('an undiscoverable number is indistinguishable from an unknown one', async () => {
    const strip = (r: Element) => { const e = r.getChild('error')!; return e.toString(); };
    const hidden = await lookup(alice, 'msisdn.localhost', CAROL);
    const unknown = await lookup(alice, 'msisdn.localhost', UNKNOWN);
    assert.equal(hidden.attrs.type, 'error');
    assert.equal(strip(hidden), strip(unknown));
    assert.equal(hidden.attrs.from, unknown.attrs.from);
    // Across domains too: dave on b.test is linked but undiscoverable.
    assert.equal(strip(await lookup(alice, 'msisdn.localhost', DAVE)), strip(await lookup(alice, 'msisdn.localhost', '+33612345670')));
    const msg = async (n: string) => {
      await alice.send(xml('message', { to: `${n}@msisdn.localhost`, type: 'chat', id: `m${n}` }, xml('body', {}, 'hi')));
      return (await alice.inbox.next((el) => el.name === 'message' && el.attrs.id === `m${n}`)).getChild('error')!.toString();
    };
    assert.equal(await msg(CAROL), await msg(UNKNOWN));
    await carol.inbox.none((el) => el.name === 'message', 200);
  });

  it('a message to +number@msisdn.<domain> is delivered to the account, from the real sender', async () => {
    await carol.send(xml('message', { to: `${ALICE}@msisdn.localhost`, type: 'chat' }, xml('body', {}, 'by number')));
    const m = await alice.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'by number');
    assert.equal(m.attrs.from, carol.jid);
    assert.equal(m.attrs.to?.split('/')[0], 'alice@localhost');
  });

  it('a subscription request and a direct MUC invitation by number reach the account', async () => {
    await carol.send(xml('presence', { to: `${ALICE}@msisdn.localhost`, type: 'subscribe' }));
    const p = await alice.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe');
    assert.equal(p.attrs.from, 'carol@localhost');
    await carol.send(xml('message', { to: `${ALICE}@msisdn.localhost` }, xml('x', { xmlns: 'jabber:x:conference', jid: 'room@conference.localhost' })));
    const inv = await alice.inbox.next((el) => el.name === 'message' && el.getChild('x', 'jabber:x:conference') !== undefined);
    assert.equal(inv.getChild('x', 'jabber:x:conference')!.attrs.jid, 'room@conference.localhost');
  });

  it('unresolvable number addresses get item-not-found', async () => {
    await carol.send(xml('presence', { to: `${UNKNOWN}@msisdn.localhost`, type: 'subscribe' }));
    const p = await carol.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'error');
    assert.equal(errorCondition(p), 'item-not-found');
    assert.equal(p.attrs.from, `${UNKNOWN}@msisdn.localhost`);
  });

  it('across domains by the prefix table: a query to the partner\'s msisdn service, then delivery', async () => {
    assert.equal(jidOf(await lookup(alice, 'msisdn.localhost', BOB)), 'bob@b.test');
    await alice.send(xml('message', { to: `${BOB}@msisdn.localhost`, type: 'chat' }, xml('body', {}, 'prefix route')));
    const m = await bob.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'prefix route');
    assert.equal(m.attrs.from, alice.jid);
  });

  it('across domains by ENUM (E2U+xmpp from dnsmasq)', async () => {
    assert.equal(jidOf(await lookup(alice, 'msisdn.localhost', ENUM_BOB)), 'bob@b.test');
    await alice.send(xml('message', { to: `${ENUM_BOB}@msisdn.localhost`, type: 'chat' }, xml('body', {}, 'enum route')));
    await bob.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'enum route');
  });

  it('a partner that cannot be reached (no s2s: remote-server-not-found) is a failed lookup: item-not-found', async () => {
    assert.equal(errorCondition(await lookup(alice, 'msisdn.localhost', NOWHERE)), 'item-not-found');
  });

  it('peers the operator does not allow get forbidden', async () => {
    assert.equal(errorCondition(await lookup(eve, 'msisdn.b.test', BOB)), 'forbidden');
    assert.equal(errorCondition(await lookup(alice, 'msisdn.c.test', BOB)), 'forbidden');
    // An allowed peer is answered from the partner's own directory.
    assert.equal(jidOf(await lookup(alice, 'msisdn.b.test', BOB)), 'bob@b.test');
  });

  it('lookups from a peer are rate-limited', async () => {
    for (let i = 0; i < 3; i++) assert.equal(errorCondition(await lookup(bob, 'msisdn.c.test', `+4479111234${50 + i}`)), 'item-not-found');
    assert.equal(errorCondition(await lookup(bob, 'msisdn.c.test', '+447911123460')), 'resource-constraint');
  });

  it('a claimed number stays unresolvable until the operator verifies it', async () => {
    const r = await carol.iq(xml('iq', { type: 'set' }, xml('claim', { xmlns: 'urn:tern:msisdn:0' }, '+447400123456')));
    assert.equal(r.attrs.type, 'result');
    await carol.iq(xml('iq', { type: 'set' }, xml('numbers', { xmlns: 'urn:tern:msisdn:0', discoverable: 'true' })));
    const list = await carol.iq(xml('iq', { type: 'get' }, xml('numbers', { xmlns: 'urn:tern:msisdn:0' })));
    const nums = list.getChild('numbers')!.getChildren('number').map((n) => `${n.getText()}:${n.attrs.verified}`);
    assert.deepEqual(nums.sort(), ['+447400123456:false', '+447911123457:true']);
    assert.equal(errorCondition(await lookup(alice, 'msisdn.localhost', '+447400123456')), 'item-not-found');
    assert.equal(jidOf(await lookup(alice, 'msisdn.localhost', CAROL)), 'carol@localhost', 'now discoverable');
    const taken = await alice.iq(xml('iq', { type: 'set' }, xml('claim', { xmlns: 'urn:tern:msisdn:0' }, CAROL)));
    assert.equal(errorCondition(taken), 'conflict');
  });

  it('slixmpp performs the jabber:iq:gateway flow', async () => {
    const run = runSlixmpp('slix_gateway.py', server, { jid: 'carol@localhost', password: 'carol-pass', gateway: 'msisdn.localhost', numbers: [ALICE, UNKNOWN, 'xyz'].join(',') });
    const code = await run.exited;
    assert.equal(code, 0, run.output());
    const out = run.output();
    assert.match(out, /prompt: Phone number/);
    assert.match(out, new RegExp(`\\${ALICE}: jid alice@localhost`));
    assert.match(out, new RegExp(`\\${UNKNOWN}: item-not-found`));
    assert.match(out, /xyz: not-acceptable/);
  });
});
