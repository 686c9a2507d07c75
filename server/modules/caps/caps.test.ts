/** XEP-0115 Entity Capabilities end to end: the server's caps, and clients' caps learnt and verified. */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, errorCondition, RawClient, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { runSlixmpp } from '../../../test/harness/slixmpp.js';
import { capsVer, parseDiscoInfo } from './verification.js';

const NS_CAPS = 'http://jabber.org/protocol/caps';
const INFO = 'http://jabber.org/protocol/disco#info';
const CLIENT_NODE = 'https://client.example/app';

const verOf = (query: Element): string => {
  const info = parseDiscoInfo(query);
  assert.notEqual(info, 'ill-formed');
  return capsVer(info as Exclude<typeof info, 'ill-formed'>)!;
};

/** What the test clients claim to be. */
const clientInfo = (node?: string) => xml('query', node ? { xmlns: INFO, node } : { xmlns: INFO },
  xml('identity', { category: 'client', type: 'phone', name: 'Test 1.0' }),
  xml('feature', { var: INFO }),
  xml('feature', { var: NS_CAPS }),
  xml('feature', { var: 'urn:xmpp:avatar:metadata+notify' }));
const CLIENT_VER = verOf(clientInfo());

describe('entity capabilities (XEP-0115) @e2e', function () {
  this.timeout(40_000);
  let server: TestServer;
  const clients: TestClient[] = [];

  const logged = (msg: string, ver: string) => server.logs.some((l) => l.msg === msg && l.ver === ver);
  const waitLog = async (msg: string, ver: string, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!logged(msg, ver)) {
      if (Date.now() > deadline) throw new Error(`no log "${msg}" for ${ver}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  /** Logs in a client that answers disco#info queries with `answer` and counts them. */
  const login = async (resource: string, answer: (node: string | undefined) => Element) => {
    const c = await connect(server, 'alice', 'alice-pass', { resource, presence: false });
    clients.push(c);
    const asked: Array<string | undefined> = [];
    (c.xmpp as unknown as { iqCallee: { get(ns: string, name: string, fn: (ctx: { stanza: Element }) => Element): void } })
      .iqCallee.get(INFO, 'query', (ctx) => {
        const node = ctx.stanza.getChild('query')!.attrs.node as string | undefined;
        asked.push(node);
        return answer(node);
      });
    return { c, asked };
  };

  before(async () => {
    server = await startServer();
    await createUser(server, 'alice', 'alice-pass');
    await createUser(server, 'slix', 'slix-pass');
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await server?.cleanup();
  });

  it("advertises the server's caps in the stream features; disco#info on node#ver answers as without a node (§6.3, §6.2)", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      await raw.openStream();
      const preAuth = await raw.startTls();
      assert.equal(preAuth.getChild('c', NS_CAPS), undefined, 'offered after authentication');
      const r = await raw.authPlain('alice', 'alice-pass');
      assert.equal(r.name, 'success');
      const c = raw.lastFeatures().getChild('c', NS_CAPS);
      assert.ok(c, 'a <c/> stream feature');
      assert.equal(c.attrs.hash, 'sha-1');
      assert.equal(c.attrs.node, 'https://tern.example/caps');
      assert.match(c.attrs.ver, /^[A-Za-z0-9+/]{27}=$/);
      raw.write(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
      await raw.inbox.next((el) => el.attrs.id === 'b');

      const node = `${c.attrs.node}#${c.attrs.ver}`;
      raw.write(`<iq type='get' id='i1' to='localhost'><query xmlns='${INFO}' node='${node}'/></iq>`);
      raw.write(`<iq type='get' id='i2' to='localhost'><query xmlns='${INFO}'/></iq>`);
      const withNode = (await raw.inbox.next((el) => el.attrs.id === 'i1')).getChild('query', INFO)!;
      const plain = (await raw.inbox.next((el) => el.attrs.id === 'i2')).getChild('query', INFO)!;
      assert.equal(withNode.attrs.node, node, 'the node is mirrored');
      assert.equal(verOf(withNode), c.attrs.ver, 'the answer hashes to the advertised ver');
      assert.equal(verOf(plain), c.attrs.ver, 'and is the same as without a node');
      assert.ok(plain.getChildren('feature').some((f) => f.attrs.var === NS_CAPS));

      raw.write(`<iq type='get' id='i3' to='localhost'><query xmlns='${INFO}' node='${c.attrs.node}#AAAAAAAAAAAAAAAAAAAAAAAAAAA='/></iq>`);
      const stale = await raw.inbox.next((el) => el.attrs.id === 'i3');
      assert.equal(stale.attrs.type, 'error');
      assert.equal(errorCondition(stale), 'item-not-found', 'an outdated ver is an unknown node');
    } finally {
      raw.destroy();
    }
  });

  it("learns a client's caps from its presence: one disco#info on node#ver, verified, then cached for the next session with that ver (§6.2, §5.4)", async () => {
    const phone = await login('phone', (node) => clientInfo(node));
    await phone.c.send(xml('presence', {}, xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CLIENT_NODE, ver: CLIENT_VER })));
    await waitLog('caps verified', CLIENT_VER);
    assert.deepEqual(phone.asked, [`${CLIENT_NODE}#${CLIENT_VER}`]);

    const tablet = await login('tablet', (node) => clientInfo(node));
    await tablet.c.send(xml('presence', {}, xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CLIENT_NODE, ver: CLIENT_VER })));
    await tablet.c.iq(xml('iq', { type: 'get', to: server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(tablet.asked, [], 'a known ver is not asked again');
  });

  it('does not believe an answer that does not hash to the advertised ver', async () => {
    const liar = await login('liar', (node) => clientInfo(node));
    const claimed = verOf(xml('query', { xmlns: INFO }, xml('identity', { category: 'client', type: 'pc' }), xml('feature', { var: 'urn:example:other' })));
    await liar.c.send(xml('presence', {}, xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CLIENT_NODE, ver: claimed })));
    await waitLog('caps verification failed', claimed);
    assert.equal(logged('caps verified', claimed), false);
    assert.deepEqual(liar.asked, [`${CLIENT_NODE}#${claimed}`]);
    // Another presence with the same ver: that session is not asked again.
    await liar.c.send(xml('presence', {}, xml('show', {}, 'away'), xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CLIENT_NODE, ver: claimed })));
    await liar.c.iq(xml('iq', { type: 'get', to: server.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(liar.asked.length, 1);
  });

  it("learns slixmpp's caps (xep_0115 plugin) and verifies them (interop)", async () => {
    const run = runSlixmpp('slix_caps.py', server, { jid: 'slix@localhost/py', password: 'slix-pass' });
    const deadline = Date.now() + 20_000;
    let ver: string | undefined;
    while (!ver) {
      const m = /online \S+ ver=(\S+)/.exec(run.output());
      if (m) ver = m[1];
      else if (Date.now() > deadline) throw new Error(`slixmpp did not come online: ${run.output()}`);
      else await new Promise((r) => setTimeout(r, 50));
    }
    await waitLog('caps verified', ver!, 8000);
    assert.equal(await run.exited, 0, run.output());
  });
});
