/** XEP-0398 §3: vCard and PEP (XEP-0084) avatars kept in step, both ways, with the pep module loaded. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, createUser, type Element, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const DATA = 'urn:xmpp:avatar:data';
const META = 'urn:xmpp:avatar:metadata';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('avatar conversion between vCard and PEP (XEP-0398) @e2e', function () {
  this.timeout(30_000);
  let server: TestServer;
  let alice: TestClient;

  const items = async (node: string): Promise<Element[]> => {
    const r = await alice.iq(xml('iq', { type: 'get', to: 'alice@localhost' }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node }))));
    assert.equal(r.attrs.type, 'result', r.toString());
    return r.getChild('pubsub')!.getChild('items')!.getChildren('item');
  };
  const vcardPhoto = async (): Promise<Element | undefined> => {
    const r = await alice.iq(xml('iq', { type: 'get', to: 'alice@localhost' }, xml('vCard', { xmlns: 'vcard-temp' })));
    return r.getChild('vCard')?.getChild('PHOTO');
  };

  before(async () => {
    server = await startServer();
    await createUser(server, 'alice', 'alice-pass');
    alice = await connect(server, 'alice', 'alice-pass', { resource: 'a' });
  });
  after(async () => {
    await alice?.stop();
    await server?.cleanup();
  });

  it('advertises the conversion and publishes a vCard photo as XEP-0084 data and metadata (§3.2)', async () => {
    const info = await alice.iq(xml('iq', { type: 'get', to: 'alice@localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === 'urn:xmpp:pep-vcard-conversion:0'));
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
    const sha = createHash('sha1').update(png).digest('hex');
    const set = await alice.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, png.toString('base64'))))));
    assert.equal(set.attrs.type, 'result');
    const [data] = await items(DATA);
    assert.equal(data?.attrs.id, sha);
    assert.deepEqual(Buffer.from(data!.getChild('data', DATA)!.getText(), 'base64'), png);
    const [meta] = await items(META);
    const infoEl = meta!.getChild('metadata', META)!.getChild('info')!;
    assert.deepEqual({ id: infoEl.attrs.id, type: infoEl.attrs.type, bytes: infoEl.attrs.bytes }, { id: sha, type: 'image/png', bytes: String(png.length) });
  });

  it('puts an avatar published over PEP into the vCard, and removes it on empty metadata (§3.1)', async () => {
    const jpeg = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
    const sha = createHash('sha1').update(jpeg).digest('hex');
    const publish = (node: string, id: string, payload: Element) => alice.iq(xml('iq', { type: 'set' },
      xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node }, xml('item', { id }, payload)))));
    assert.equal((await publish(DATA, sha, xml('data', { xmlns: DATA }, jpeg.toString('base64')))).attrs.type, 'result');
    assert.equal((await publish(META, sha, xml('metadata', { xmlns: META }, xml('info', { id: sha, type: 'image/jpeg', bytes: String(jpeg.length) })))).attrs.type, 'result');
    await sleep(200);
    const photo = await vcardPhoto();
    assert.equal(photo?.getChildText('TYPE'), 'image/jpeg');
    assert.deepEqual(Buffer.from(photo!.getChildText('BINVAL')!, 'base64'), jpeg);
    assert.equal((await publish(META, 'current', xml('metadata', { xmlns: META }))).attrs.type, 'result');
    await sleep(200);
    assert.equal(await vcardPhoto(), undefined);
  });
});
