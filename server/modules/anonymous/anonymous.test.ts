/**
 * SASL ANONYMOUS (RFC 4505, XEP-0175) end to end: off by default; when a host enables it, offered
 * only over TLS, a random JID on the host that chats, meets tern#roomconfig_allowanonymous, cannot
 * register, is limited per address, and leaves nothing behind at logout.
 */
import assert from 'node:assert/strict';
import { client } from '@xmpp/client';
import { connect, createUser, type Element, errorCondition, RawClient, register, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const SASL2 = 'urn:xmpp:sasl:2';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const SVC = 'conference.localhost';
const MUC = 'http://jabber.org/protocol/muc';
const OWNER = 'http://jabber.org/protocol/muc#owner';

const mechanisms = (features: Element): string[] => features.getChild('mechanisms', SASL)?.getChildren('mechanism').map((m) => m.getText()) ?? [];
const failureCondition = (f: Element): string | undefined => f.getChildElements().find((e) => e.name !== 'text')?.name;
const errorText = (el: Element): string | undefined => el.getChild('error')?.getChild('text', STANZAS)?.getText();

let rawIds = 0;
async function rawIq(c: RawClient, body: string, attrs = '', type = 'set'): Promise<Element> {
  const id = `a${rawIds++}`;
  c.write(`<iq type='${type}' id='${id}'${attrs}>${body}</iq>`);
  return c.inbox.next((el) => el.name === 'iq' && el.attrs.id === id, 5000, `reply to ${id}`);
}

async function anonymousSession(server: TestServer, resource = 'anon'): Promise<{ c: RawClient; jid: string }> {
  const c = await RawClient.connect(server.port);
  await c.openStream(server.domain);
  await c.startTls(server.domain);
  const r = await c.authAnonymous('tester@example.org');
  assert.equal(r.name, 'success', r.toString());
  return { c, jid: await c.bind(resource) };
}

describe('SASL ANONYMOUS (RFC 4505, XEP-0175) @e2e', function () {
  this.timeout(60_000);

  describe('off by default', () => {
    let server: TestServer;
    before(async () => { server = await startServer(); });
    after(async () => { await server?.stop(); });

    it('is not offered after STARTTLS, and asking for it is invalid-mechanism', async () => {
      const c = await RawClient.connect(server.port);
      try {
        await c.openStream(server.domain);
        const features = await c.startTls(server.domain);
        assert.ok(mechanisms(features).includes('PLAIN'), features.toString());
        assert.ok(!mechanisms(features).includes('ANONYMOUS'), features.toString());
        const f = await c.authAnonymous();
        assert.equal(f.name, 'failure');
        assert.equal(failureCondition(f), 'invalid-mechanism');
      } finally {
        c.end();
      }
    });
  });

  describe('enabled on the host', () => {
    let server: TestServer;
    let alice: TestClient;
    before(async () => {
      server = await startServer({ config: { hosts: [{ domain: 'localhost', registration: 'open', anonymous_login: { enabled: true, max_per_ip: 3, window_s: 600 } }] } });
      await createUser(server, 'alice', 'alice-pass');
      alice = await connect(server, 'alice', 'alice-pass');
    });
    after(async () => {
      await alice?.stop();
      await server?.stop();
    });

    it('is offered only once the stream is encrypted', async () => {
      const c = await RawClient.connect(server.port);
      try {
        const plain = await c.openStream(server.domain);
        assert.ok(!mechanisms(plain).includes('ANONYMOUS'), plain.toString());
        const secure = await c.startTls(server.domain);
        assert.ok(mechanisms(secure).includes('ANONYMOUS'), secure.toString());
      } finally {
        c.end();
      }
    });

    it('gives a random JID that chats, meets the room option, cannot register, and leaves nothing behind', async () => {
      const { c, jid } = await anonymousSession(server);
      const [bare, resource] = jid.split('/') as [string, string];
      const [local, domain] = bare.split('@') as [string, string];
      assert.equal(domain, 'localhost');
      assert.equal(resource, 'anon');
      assert.match(local, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a random (version 4) UUID');

      // The bare JID is an anonymous account in disco (the category registry's account/anonymous), asked by itself.
      const disco = await rawIq(c, `<query xmlns='http://jabber.org/protocol/disco#info'/>`, ` to='${bare}'`, 'get');
      const identities = disco.getChild('query')?.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`) ?? [];
      assert.ok(identities.includes('account/anonymous') && !identities.includes('account/registered'), identities.join(', '));

      // Chat with a registered user, both ways (the reply goes to the bare JID).
      c.write(`<presence/>`);
      c.write(`<message to='alice@localhost' type='chat' id='m1'><body>hi from nobody</body></message>`);
      const got = await alice.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'hi from nobody', 5000, 'the anonymous message');
      assert.equal(got.attrs.from, jid);
      await alice.send(xml('message', { to: bare, type: 'chat' }, xml('body', {}, 'hello stranger')));
      const reply = await c.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'hello stranger', 5000, 'the reply');
      assert.equal(reply.attrs.from, alice.jid);

      // XEP-0175 §3: nothing initiated towards other servers.
      c.write(`<message to='someone@remote.example' type='chat' id='far'><body>spam</body></message>`);
      const far = await c.inbox.next((el) => el.name === 'message' && el.attrs.id === 'far', 5000, 'the refusal');
      assert.equal(far.attrs.type, 'error');
      assert.equal(errorCondition(far), 'not-allowed');
      assert.equal(errorText(far), 'anonymous users cannot reach other servers');

      // XEP-0077: no password change (or registration) for an anonymous session.
      const pw = await rawIq(c, `<query xmlns='jabber:iq:register'><username>${local}</username><password>new-password-1</password></query>`);
      assert.equal(pw.attrs.type, 'error');
      assert.equal(errorCondition(pw), 'not-allowed');
      assert.equal(errorText(pw), 'anonymous sessions cannot register or change a password');
      // Nobody can register the live session's localpart.
      const taken = await register(server, local, 'some-password-1');
      assert.equal(taken.attrs.type, 'error');
      assert.equal(errorCondition(taken), 'conflict');

      // Something to be purged: a roster item.
      const rs = await rawIq(c, `<query xmlns='jabber:iq:roster'><item jid='alice@localhost' name='Alice'/></query>`);
      assert.equal(rs.attrs.type, 'result', rs.toString());

      // Rooms: one that admits anonymous users, one with the default.
      const enter = async (who: TestClient, room: string) => {
        const self = who.inbox.next((el) => el.name === 'presence' && el.attrs.from === `${room}@${SVC}/owner`, 5000, 'owner self-presence');
        await who.send(xml('presence', { to: `${room}@${SVC}/owner` }, xml('x', { xmlns: MUC })));
        await self;
      };
      await enter(alice, 'help');
      const cfg = await alice.iq(xml('iq', { type: 'set', to: `help@${SVC}` }, xml('query', { xmlns: OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
        xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
        xml('field', { var: 'tern#roomconfig_allowanonymous' }, xml('value', {}, '1'))))));
      assert.equal(cfg.attrs.type, 'result', cfg.toString());
      await enter(alice, 'closed');
      const instant = await alice.iq(xml('iq', { type: 'set', to: `closed@${SVC}` }, xml('query', { xmlns: OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))));
      assert.equal(instant.attrs.type, 'result', instant.toString());

      // The room's disco#info tells whether it admits them.
      const info = await alice.iq(xml('iq', { type: 'get', to: `closed@${SVC}` }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      const field = info.getChild('query')?.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === 'tern#roomconfig_allowanonymous');
      assert.equal(field?.getChildText('value'), '0');

      const join = async (room: string) => {
        c.write(`<presence to='${room}@${SVC}/stranger'><x xmlns='${MUC}'/></presence>`);
        return c.inbox.next((el) => el.name === 'presence' && el.attrs.from === `${room}@${SVC}/stranger`, 5000, `presence from ${room}`);
      };
      const refused = await join('closed');
      assert.equal(refused.attrs.type, 'error');
      assert.equal(errorCondition(refused), 'not-allowed');
      assert.equal(refused.getChild('error')?.attrs.type, 'cancel');
      assert.equal(errorText(refused), 'this room does not admit anonymous users; log in with an account');
      const admitted = await join('help');
      assert.equal(admitted.attrs.type, undefined, admitted.toString());
      assert.ok(admitted.getChild('x', `${MUC}#user`)?.getChildren('status').some((s) => s.attrs.code === '110'));
      // §10.1.1: an anonymous user creates no rooms.
      const created = await join('mine');
      assert.equal(errorCondition(created), 'not-allowed');

      // Logout: the session ends, the localpart no longer exists, nothing of it remains.
      c.write('</stream:stream>');
      await c.closed;
      // The purge runs once the server has seen the close; until then a message may still be taken
      // (and purged with the rest), after it every message bounces.
      let bounce: Element | undefined;
      for (let i = 0; i < 20 && !bounce; i++) {
        await alice.send(xml('message', { to: bare, type: 'chat', id: `late${i}` }, xml('body', {}, 'are you there?')));
        bounce = await alice.inbox.next((el) => el.name === 'message' && el.attrs.id === `late${i}` && el.attrs.type === 'error', 300, 'a bounce').catch(() => undefined);
      }
      assert.ok(bounce, 'messages to the ended session bounce');
      assert.equal(errorCondition(bounce), 'service-unavailable');

      const again = await RawClient.connect(server.port);
      try {
        await again.openStream(server.domain);
        await again.startTls(server.domain);
        const f = await again.authPlain(local, 'anything-at-all');
        assert.equal(failureCondition(f), 'not-authorized');
      } finally {
        again.end();
      }
      // Once freed, the name is an ordinary one; an account created under it starts empty.
      await createUser(server, local, 'fresh-pass-1');
      const fresh = await connect(server, local, 'fresh-pass-1');
      try {
        const roster = await fresh.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
        assert.equal(roster.attrs.type, 'result');
        assert.deepEqual(roster.getChild('query')?.getChildren('item'), []);
        await fresh.inbox.none((el) => el.name === 'message' && el.getChildText('body') === 'are you there?', 500);
      } finally {
        await fresh.stop();
      }
    });

    it('works over SASL2 and with @xmpp/client, then is limited per address (temporary-auth-failure)', async () => {
      // The first login of this address was in the previous test; max_per_ip is 3.
      const c = await RawClient.connect(server.port);
      try {
        await c.openStream(server.domain);
        const features = await c.startTls(server.domain);
        const v2 = features.getChild('authentication', SASL2)?.getChildren('mechanism').map((m) => m.getText()) ?? [];
        assert.ok(v2.includes('ANONYMOUS'), features.toString());
        c.write(`<authenticate xmlns='${SASL2}' mechanism='ANONYMOUS'><initial-response>${Buffer.from('trace').toString('base64')}</initial-response></authenticate>`);
        const s = await c.inbox.next((el) => el.attrs.xmlns === SASL2 && (el.name === 'success' || el.name === 'failure'), 5000, 'SASL2 outcome');
        assert.equal(s.name, 'success', s.toString());
        assert.match(s.getChildText('authorization-identifier') ?? '', /^[0-9a-f-]{36}@localhost$/);
      } finally {
        c.end();
      }

      const xmpp = client({ service: `xmpp://127.0.0.1:${server.port}`, domain: server.domain });
      (xmpp as unknown as { reconnect: { stop(): void } }).reconnect.stop();
      xmpp.on('error', () => {});
      try {
        const jid = (await xmpp.start()).toString();
        assert.match(jid, /^[0-9a-f-]{36}@localhost\/.+$/);
      } finally {
        await xmpp.stop().catch(() => {});
      }

      const d = await RawClient.connect(server.port);
      try {
        await d.openStream(server.domain);
        await d.startTls(server.domain);
        const f = await d.authAnonymous();
        assert.equal(f.name, 'failure');
        assert.equal(failureCondition(f), 'temporary-auth-failure');
        // PLAIN still works from the same address.
        const ok = await d.authPlain('alice', 'alice-pass');
        assert.equal(ok.name, 'success');
      } finally {
        d.end();
      }
    });
  });
});
