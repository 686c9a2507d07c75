/**
 * The seed's WSI scenario end to end (Appendix B §7, use case 5.15.1 "Mobile Gaming Service using
 * IM"), through both bindings: two federated Terns on loopback are the IM services B1 (b1.test)
 * and B2 (b2.test); this test is the gaming service A, a WS consumer registered with both (§7.3:
 * "A is registered to use B1", "A is registered to use B2"), so it has an Instant Inbox `game` on
 * each. U1 (u1@b1.test) and U2 (u2@b2.test) are @xmpp/client users.
 *
 * Where A sends from: §7.5 step 11 has A send the SendMessages request "to the B2 with the message
 * addressed to U2 in B2", step 12 "B2 sends a response with the success status", and §7.4 wants
 * A to have "received information from B2 showing that the message was sent successfully". So the
 * translated message goes through A's inbox on B2, to U2 locally there, and the accepted status is
 * B2's own. (Sending through B1 over s2s also works and is checked last, with a remote refusal
 * coming back over s2s as a per-recipient status; but then the status is only B1's view.)
 *
 * The game's own convention for addressing players by game username: a body "@<username> text".
 */
import assert from 'node:assert/strict';
import { connect, createUser, xml, type TestClient } from '../../test/harness/clients.js';
import { startFederation } from '../../test/harness/federation.js';
import type { TestServer } from '../../test/harness/server.js';
import { soapList, wsiRest, wsiSoapClient, type WsiSoap } from '../../test/harness/wsi.js';
import { tokenDigest } from '../../server/modules/wsi/index.js';

const TOKENS = { 'b1.test': 'A-at-B1-token', 'b2.test': 'A-at-B2-token' } as const;
type B = keyof typeof TOKENS;

/** A's player directory (§7.3: "U1 has registered its IM information with A"): game username → IM address and service. */
const PLAYERS: Record<string, { im: string; service: B }> = {
  player1: { im: 'xmpp:u1@b1.test', service: 'b1.test' },
  player2: { im: 'xmpp:u2@b2.test', service: 'b2.test' },
};
const playerOf = (jid: string) => Object.entries(PLAYERS).find(([, p]) => `xmpp:${jid.split('/')[0]}` === p.im)?.[0];

interface Got { seq: number; from: string; body: string }
interface Status { message: number; recipient: string; status: string; condition?: string }
/** The consumer's view of one binding: the same three operations over REST or SOAP. */
interface Binding {
  get(b: B, o?: { max?: number; wait?: number }): Promise<{ messages: Got[]; next: number }>;
  send(b: B, messages: Array<{ to: string[]; body: string }>, waitMs?: number): Promise<Status[]>;
  ack(b: B, upTo: number): Promise<number>;
}

function rest(servers: Record<B, TestServer>): Binding {
  const path = (b: B, op: string) => `/wsi/${b}/game/${op}`;
  return {
    async get(b, o = {}) {
      const q = new URLSearchParams(Object.entries(o).map(([k, v]): [string, string] => [k, String(v)]));
      const r = await wsiRest(servers[b], 'GET', `${path(b, 'messages')}?${q}`, { token: TOKENS[b] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return { messages: r.body.messages, next: r.body.next };
    },
    async send(b, messages, waitMs = 0) {
      const r = await wsiRest(servers[b], 'POST', path(b, 'messages'), { token: TOKENS[b], body: { messages, waitMs } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.results;
    },
    async ack(b, upTo) {
      const r = await wsiRest(servers[b], 'POST', path(b, 'ack'), { token: TOKENS[b], body: { upTo } });
      assert.equal(r.status, 200);
      return r.body.removed;
    },
  };
}

function soap(clients: Record<B, WsiSoap>): Binding {
  return {
    async get(b, o = {}) {
      const r = await clients[b].call('GetMessages', o);
      return { messages: soapList<any>(r.message).map((m) => ({ seq: Number(m.seq), from: m.from, body: m.body })), next: Number(r.next) };
    },
    async send(b, messages, waitMs = 0) {
      const r = await clients[b].call('SendMessages', { message: messages, waitMs });
      return soapList<any>(r.result).map((x) => ({ ...x, message: Number(x.message) }));
    },
    async ack(b, upTo) { return Number((await clients[b].call('Acknowledge', { upTo })).removed); },
  };
}

/** A's step 10: "@player2 text" from player1 → the IM address of player2 and the text A relays. */
function translate(m: Got): { service: B; to: string; body: string } {
  const parsed = /^@(\S+)\s+([\s\S]*)$/.exec(m.body);
  assert.ok(parsed, `a game-addressed message: ${m.body}`);
  const target = PLAYERS[parsed[1]!];
  assert.ok(target, `a known player: ${parsed[1]}`);
  return { service: target.service, to: target.im, body: `${playerOf(m.from)}: ${parsed[2]}` };
}

describe('WSI: the seed\'s gaming scenario across two federated IM services (Appendix B §7) @e2e', function () {
  this.timeout(60_000);
  let servers: Record<B, TestServer>;
  let u1: TestClient;
  let u2: TestClient;
  const bindings: Record<'REST' | 'SOAP', Binding> = {} as never;

  before(async () => {
    servers = await startFederation(['b1.test', 'b2.test'] as const, {
      config: (domain) => ({ hosts: [{ domain, registration: 'open', wsi: { inboxes: [{ username: 'game', token_sha256: tokenDigest(TOKENS[domain]) }] } }] }),
    });
    await createUser(servers['b1.test'], 'u1', 'u1-password');
    await createUser(servers['b2.test'], 'u2', 'u2-password');
    u1 = await connect(servers['b1.test'], 'u1', 'u1-password');
    u2 = await connect(servers['b2.test'], 'u2', 'u2-password');
    bindings.REST = rest(servers);
    bindings.SOAP = soap({
      'b1.test': await wsiSoapClient(servers['b1.test'], 'game', TOKENS['b1.test']),
      'b2.test': await wsiSoapClient(servers['b2.test'], 'game', TOKENS['b2.test']),
    });
  });
  after(async () => {
    await Promise.all([u1, u2].map((c) => c?.stop()));
    await Promise.all(Object.values(servers ?? {}).map((s) => s.cleanup()));
  });
  afterEach(() => { u1?.inbox.clear(); u2?.inbox.clear(); });

  for (const name of ['REST', 'SOAP'] as const) {
    it(`${name}: normal flow (§7.5) — U1's message reaches U2 on B2 through A, and A gets B2's success status`, async () => {
      const a = bindings[name];
      // 7. U1 sends an instant message addressed to U2's username in the gaming service.
      await u1.send(xml('message', { to: 'game@b1.test', type: 'chat' }, xml('body', {}, `@player2 nice move (${name})`)));
      // 8./9. A's GetMessages to B1 (waiting a little, WSI-25) returns what is in its inbox.
      const got = await a.get('b1.test', { wait: 10 });
      assert.equal(got.messages.length, 1);
      assert.equal(got.messages[0]!.from, u1.jid);
      // 10. A translates the game username to U2's IM address on B2.
      const t = translate(got.messages[0]!);
      assert.deepEqual([t.service, t.to], ['b2.test', 'xmpp:u2@b2.test']);
      // 11./12. SendMessages to B2; B2 answers with the status.
      const status = await a.send(t.service, [{ to: [t.to], body: t.body }]);
      assert.deepEqual(status.map((s) => [s.message, s.recipient, s.status]), [[0, 'xmpp:u2@b2.test', 'accepted']]);
      const m = await u2.inbox.next((el) => el.is('message') && el.getChildText('body') === `player1: nice move (${name})`, 15_000);
      assert.equal(m.attrs.from, 'game@b2.test/wsi');
      // A has handled it: acknowledged, the inbox on B1 is empty.
      assert.equal(await a.ack('b1.test', got.next), 1);
      assert.deepEqual((await a.get('b1.test')).messages, []);
    });

    it(`${name}: alternative flow 7.6.1 — two messages in the inbox, relayed to U2 in one SendMessages`, async () => {
      const a = bindings[name];
      await u1.send(xml('message', { to: 'game@b1.test', type: 'chat' }, xml('body', {}, `@player2 first (${name})`)));
      await u1.send(xml('message', { to: 'game@b1.test', type: 'chat' }, xml('body', {}, `@player2 second (${name})`)));
      let got = await a.get('b1.test', { wait: 10 });
      for (let i = 0; i < 50 && got.messages.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        got = await a.get('b1.test');
      }
      assert.deepEqual(got.messages.map((m) => m.body), [`@player2 first (${name})`, `@player2 second (${name})`]);
      const out = got.messages.map(translate);
      assert.ok(out.every((t) => t.service === 'b2.test'));
      const status = await a.send('b2.test', out.map((t) => ({ to: [t.to], body: t.body })));
      assert.deepEqual(status.map((s) => [s.message, s.recipient, s.status]), [[0, 'xmpp:u2@b2.test', 'accepted'], [1, 'xmpp:u2@b2.test', 'accepted']]);
      const first = await u2.inbox.next((el) => el.is('message') && el.getChildText('body') === `player1: first (${name})`, 15_000);
      const second = await u2.inbox.next((el) => el.is('message') && el.getChildText('body') === `player1: second (${name})`, 15_000);
      assert.ok(first && second);
      assert.equal(await a.ack('b1.test', got.next), 2);
    });

    it(`${name}: through B1 over s2s instead, a remote refusal comes back as that recipient's status`, async () => {
      const a = bindings[name];
      const status = await a.send('b1.test', [{ to: ['xmpp:u2@b2.test', 'xmpp:nobody@b2.test'], body: `via B1 (${name})` }], 5_000);
      assert.deepEqual(status.map((s) => [s.recipient, s.status, s.condition]), [
        ['xmpp:u2@b2.test', 'accepted', undefined],
        ['xmpp:nobody@b2.test', 'error', 'service-unavailable'],
      ]);
      const m = await u2.inbox.next((el) => el.is('message') && el.getChildText('body') === `via B1 (${name})`, 15_000);
      assert.equal(m.attrs.from, 'game@b1.test/wsi');
    });
  }
});
