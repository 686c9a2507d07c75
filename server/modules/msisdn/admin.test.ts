/** Provisioning phone numbers as the host's admin through the XEP-0050 command (issue 8), end to end. */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, errorCondition, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { ADMIN_NODE } from './admin.js';

const NS_CMD = 'http://jabber.org/protocol/commands';
const GATEWAY = 'jabber:iq:gateway';

describe('phone-number provisioning by an admin (XEP-0050) @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  let admin: TestClient;
  let ann: TestClient;

  const run = async (c: TestClient, fields: Record<string, string>): Promise<Element> => {
    const first = await c.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('command', { xmlns: NS_CMD, node: ADMIN_NODE, action: 'execute' })));
    if (first.attrs.type === 'error') return first;
    const sessionid = first.getChild('command', NS_CMD)!.attrs.sessionid!;
    return c.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('command', { xmlns: NS_CMD, node: ADMIN_NODE, sessionid, action: 'complete' },
      xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v)))))));
  };
  const translate = async (c: TestClient, number: string) => c.iq(xml('iq', { type: 'set', to: 'msisdn.localhost' }, xml('query', { xmlns: GATEWAY }, xml('prompt', {}, number))));

  before(async () => {
    server = await startServer({ config: { hosts: [{ domain: 'localhost', registration: 'open', admins: ['boss@localhost'], msisdn: { enum_suffixes: [], discoverable_by_default: true } }] } });
    await createUser(server, 'boss', 'boss-pass-1');
    await createUser(server, 'ann', 'ann-pass-12');
    admin = await connect(server, 'boss', 'boss-pass-1');
    ann = await connect(server, 'ann', 'ann-pass-12');
  });
  after(async () => {
    await Promise.all([admin, ann].map((c) => c?.stop()));
    await server?.cleanup();
  });

  it('links a number as the admin, after which it resolves; then unlinks it', async () => {
    const done = await run(admin, { action: 'link', number: '+33 6 12 34 56 78', jid: 'ann@localhost' });
    assert.equal(done.attrs.type, 'result', done.toString());
    assert.equal(done.getChild('command', NS_CMD)!.attrs.status, 'completed');
    const r = await translate(ann, '+33612345678');
    assert.equal(r.getChild('query', GATEWAY)?.getChildText('jid'), 'ann@localhost');
    assert.equal((await run(admin, { action: 'unlink', number: '+33612345678' })).attrs.type, 'result');
    assert.equal(errorCondition(await translate(ann, '+33612345678')), 'item-not-found');
  });

  it('refuses a non-admin, and a bad number or account with bad-request', async () => {
    const refused = await run(ann, { action: 'link', number: '+33612345678', jid: 'ann@localhost' });
    assert.equal(refused.attrs.type, 'error');
    assert.equal(errorCondition(refused), 'forbidden');
    assert.equal(errorCondition(await run(admin, { action: 'link', number: '12', jid: 'ann@localhost' })), 'bad-request');
    assert.equal(errorCondition(await run(admin, { action: 'link', number: '+33612345678', jid: 'ann@elsewhere.example' })), 'bad-request');
  });
});
