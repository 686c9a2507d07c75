/**
 * Phone numbers across operators, over real federation (issue 8 "Done when"): three Tern servers
 * on loopback — a.test, b.test and c.test — each its own process with its own directory, joined by
 * s2s (RFC 6120; XEP-0220 dialback, the default allow_dialback policy) through startFederation
 * (test/harness/federation.ts). ENUM answers come from a real dnsmasq.
 *   A: a user resolves numbers of B's users by the prefix table (+336 → b.test, then an s2s
 *      jabber:iq:gateway query from a.test to msisdn.b.test) and by ENUM (E2U+xmpp), and messages
 *      them by JID and by +CC…@msisdn.a.test.
 *   B: allows a.test only. C: allows a.test only, 3 peer lookups a minute, and routes +336 to
 *      b.test too (its server-level query is refused by B).
 * Run once with dialback only (no peer trusts the test CA) and once with the test CA in every
 * server's s2s.ca_files (SASL EXTERNAL, XEP-0178).
 */
import assert from 'node:assert/strict';
import { connect, createUser, errorCondition, type Element, type TestClient, xml } from '../../../test/harness/clients.js';
import { type Dnsmasq, startDnsmasq } from '../../../test/harness/dnsmasq.js';
import { startFederation } from '../../../test/harness/federation.js';
import { CERTS_DIR, type TestServer } from '../../../test/harness/server.js';
import path from 'node:path';
import { enumDomain } from '../../../gateways/msisdn/enum.js';

const GW = 'jabber:iq:gateway';
const BOB = '+33612345678';         // bob@b.test, discoverable; A's prefix table: +336 → b.test
const DAVE = '+33612345679';        // dave@b.test, verified but undiscoverable
const UNKNOWN_B = '+33612345670';   // in B's range, nobody's
const ENUM_BOB = '+4915123456789';  // ENUM (A's dnsmasq) → xmpp:bob@b.test

const lookup = (c: TestClient, to: string, number: string) =>
  c.iq(xml('iq', { type: 'set', to }, xml('query', { xmlns: GW }, xml('prompt', {}, number))), 20_000);
const jidOf = (r: Element) => r.getChild('query', GW)?.getChildText('jid');
const errorXml = (r: Element) => r.getChild('error')?.toString();

/** The server's log is read from its stdout: a line can trail the stanza it describes. */
async function logged(s: TestServer, pred: (l: Record<string, unknown>) => boolean, what: string, ms = 10_000): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const hits = s.logs.filter(pred);
    if (hits.length > 0) return hits;
    if (Date.now() > deadline) throw new Error(`timed out waiting for the log line: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const mode of ['dialback', 'certificates'] as const) describe(`msisdn across federated servers (prefix table, ENUM, peers): ${mode} @e2e`, function () {
  this.timeout(120_000);
  let dns: Dnsmasq;
  let a: TestServer;
  let b: TestServer;
  let c: TestServer;
  let alice: TestClient;
  let bob: TestClient;
  let dave: TestClient;
  let eve: TestClient;

  before(async () => {
    dns = await startDnsmasq(['e164.arpa'], [
      { name: enumDomain(ENUM_BOB, 'e164.arpa'), order: 10, preference: 10, flags: 'u', service: 'E2U+xmpp', regexp: '!^\\+49(.*)$!xmpp:bob@b.test!' },
    ]);
    const msisdn = {
      'b.test': { allowed_peers: ['a.test'], enum_suffixes: [] },
      'c.test': { allowed_peers: ['a.test'], peer_lookups_per_minute: 3, enum_suffixes: [], prefixes: [{ prefix: '+336', domain: 'b.test' }] },
      'a.test': { prefixes: [{ prefix: '+336', domain: 'b.test' }], enum_servers: [dns.server], lookup_timeout_ms: 15_000 },
    };
    // Each server's streams for the others and their msisdn.<domain> services go to the peers'
    // loopback ports. certificates: every server trusts the one test CA, so streams authenticate
    // by SASL EXTERNAL (XEP-0178) with the host's certificate, which also names msisdn.<domain>.
    ({ 'a.test': a, 'b.test': b, 'c.test': c } = await startFederation(['b.test', 'c.test', 'a.test'] as const, {
      config: (domain) => ({ hosts: [{ domain, registration: 'open', msisdn: msisdn[domain] }] }),
      alsoAt: (domain) => [`msisdn.${domain}`],
      ...(mode === 'certificates' ? { s2s: { ca_files: [path.join(CERTS_DIR, 'tern-local-ca.crt')] } } : {}),
    }));
    await createUser(a, 'alice', 'alice-pass');
    await createUser(b, 'bob', 'bob-pass');
    await createUser(b, 'dave', 'dave-pass');
    await createUser(c, 'eve', 'eve-pass');
    // Operator provisioning on B (the CLI works on the stopped server's data).
    await b.stop();
    for (const [n, j] of [[BOB, 'bob@b.test'], [DAVE, 'dave@b.test']] as const) {
      const r = await b.cli(['msisdn', 'link', n, j]);
      assert.equal(r.code, 0, r.stderr);
    }
    await b.restart();
    alice = await connect(a, 'alice', 'alice-pass');
    bob = await connect(b, 'bob', 'bob-pass');
    dave = await connect(b, 'dave', 'dave-pass');
    eve = await connect(c, 'eve', 'eve-pass');
    for (const [client, on] of [[bob, 'true'], [dave, 'false']] as const) {
      const r = await client.iq(xml('iq', { type: 'set' }, xml('numbers', { xmlns: 'urn:tern:msisdn:0', discoverable: on })));
      assert.equal(r.attrs.type, 'result');
    }
  });
  after(async () => {
    await Promise.all([alice, bob, dave, eve].map((x) => x?.stop()));
    await Promise.all([a, b, c].map((s) => s?.cleanup()));
    await dns?.stop();
  });
  afterEach(() => { for (const x of [alice, bob, dave, eve]) x?.inbox.clear(); });

  it('by the prefix table: A asks msisdn.b.test over s2s, gets bob\'s JID, and alice messages him', async () => {
    const r = await lookup(alice, 'msisdn.a.test', BOB);
    assert.equal(r.attrs.type, 'result', r.toString());
    assert.equal(jidOf(r), 'bob@b.test');
    assert.equal(r.attrs.from, 'msisdn.a.test');
    // The query went a.test → msisdn.b.test and the answer msisdn.b.test → a.test, each on its own authenticated stream.
    const auth = mode === 'dialback' ? 'dialback' : 'sasl-external';
    const incoming = async (s: TestServer, remote: string) => (await logged(s, (l) => l.msg === 's2s stream authenticated' && l.direction === 'in' && l.remote === remote, `incoming ${remote}`)).map((l) => l.auth);
    assert.deepEqual(await incoming(b, 'a.test'), [auth]);
    assert.deepEqual(await incoming(a, 'msisdn.b.test'), [auth]);
    await alice.send(xml('message', { to: 'bob@b.test', type: 'chat' }, xml('body', {}, 'found you by number')));
    const m = await bob.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'found you by number', 15_000);
    assert.equal(m.attrs.from, alice.jid);
    // And a reply goes back the same way.
    await bob.send(xml('message', { to: alice.jid, type: 'chat' }, xml('body', {}, 'hello back')));
    await alice.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'hello back', 15_000);
  });

  it('a message to +CC…@msisdn.a.test reaches bob on b.test, from alice', async () => {
    await alice.send(xml('message', { to: `${BOB}@msisdn.a.test`, type: 'chat' }, xml('body', {}, 'by prefix address')));
    const m = await bob.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'by prefix address', 15_000);
    assert.equal(m.attrs.from, alice.jid);
    assert.equal(m.attrs.to?.split('/')[0], 'bob@b.test');
  });

  it('by ENUM (E2U+xmpp from dnsmasq): the number resolves to bob@b.test and a message by number reaches him', async () => {
    assert.equal(jidOf(await lookup(alice, 'msisdn.a.test', ENUM_BOB)), 'bob@b.test');
    await alice.send(xml('message', { to: `${ENUM_BOB}@msisdn.a.test`, type: 'chat' }, xml('body', {}, 'by enum address')));
    const m = await bob.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'by enum address', 15_000);
    assert.equal(m.attrs.from, alice.jid);
  });

  it('an undiscoverable number on B looks exactly like an unknown one from A', async () => {
    const hidden = await lookup(alice, 'msisdn.a.test', DAVE);
    const unknown = await lookup(alice, 'msisdn.a.test', UNKNOWN_B);
    assert.equal(errorCondition(hidden), 'item-not-found');
    assert.equal(errorXml(hidden), errorXml(unknown));
    assert.equal(hidden.attrs.from, unknown.attrs.from);
    // Asking B's service directly (a.test is an allowed peer) tells no more.
    const hiddenB = await lookup(alice, 'msisdn.b.test', DAVE);
    const unknownB = await lookup(alice, 'msisdn.b.test', UNKNOWN_B);
    assert.equal(errorCondition(hiddenB), 'item-not-found');
    assert.equal(errorXml(hiddenB), errorXml(unknownB));
    // Nor does addressing a message to the number.
    const msg = async (n: string) => {
      await alice.send(xml('message', { to: `${n}@msisdn.a.test`, type: 'chat', id: `m${n}` }, xml('body', {}, 'psst')));
      return errorXml(await alice.inbox.next((el) => el.name === 'message' && el.attrs.id === `m${n}`, 15_000));
    };
    assert.equal(await msg(DAVE), await msg(UNKNOWN_B));
    await dave.inbox.none((el) => el.name === 'message', 300);
  });

  it('a peer the operator does not allow gets forbidden', async () => {
    assert.equal(errorCondition(await lookup(eve, 'msisdn.b.test', BOB)), 'forbidden');
    assert.equal(errorCondition(await lookup(bob, 'msisdn.c.test', BOB)), 'forbidden');
    // C's own server-level query (from c.test, through its prefix table) is refused by B too; C's
    // user sees a failed lookup, item-not-found, never bob's JID.
    const viaC = await lookup(eve, 'msisdn.c.test', BOB);
    assert.equal(errorCondition(viaC), 'item-not-found');
    const [failed] = await logged(c, (l) => l.msg === 'partner lookup failed' && l.partner === 'b.test', 'C\'s refused partner lookup');
    assert.equal(failed!.err, 'partner answered forbidden');
    // The same number is answered for the allowed peer.
    assert.equal(jidOf(await lookup(alice, 'msisdn.b.test', BOB)), 'bob@b.test');
  });

  it('lookups from a peer are rate-limited (peer_lookups_per_minute)', async () => {
    for (let i = 0; i < 3; i++) assert.equal(errorCondition(await lookup(alice, 'msisdn.c.test', `+4479111234${50 + i}`)), 'item-not-found');
    assert.equal(errorCondition(await lookup(alice, 'msisdn.c.test', '+447911123460')), 'resource-constraint');
  });
});
