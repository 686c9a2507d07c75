/** XEP-0030 payloads and the account access rule, without a server. */
import assert from 'node:assert/strict';
import { Jid } from '../../core/jid.js';
import { mayViewAccount } from './access.js';
import { infoElement, isEmpty, itemsElement, NS_INFO, NS_ITEMS } from './info.js';

describe('disco: payloads', () => {
  it('lists each identity and feature once, features sorted, the node mirrored (§3.2)', () => {
    const q = infoElement({
      identities: [{ category: 'server', type: 'im', name: 'Tern' }, { category: 'server', type: 'im', name: 'Again' }, { category: 'pubsub', type: 'pep' }],
      features: ['urn:b', NS_INFO, 'urn:b', 'urn:a'],
      extensions: [],
    }, 'some-node');
    assert.equal(q.toString(), `<query xmlns="${NS_INFO}" node="some-node"><identity category="server" type="im" name="Tern"/>`
      + `<identity category="pubsub" type="pep"/><feature var="${NS_INFO}"/><feature var="urn:a"/><feature var="urn:b"/></query>`);
    assert.equal(itemsElement([]).toString(), `<query xmlns="${NS_ITEMS}"/>`);
    assert.equal(isEmpty({ identities: [], features: [], extensions: [] }), true);
  });
});

describe('disco: who may see an account (§8)', () => {
  const roster = (subscription: 'none' | 'to' | 'from' | 'both' | undefined) => ({ item: async () => (subscription ? { subscription } : undefined) });
  it('the account, its server, and contacts with a from/both subscription', async () => {
    assert.equal(await mayViewAccount(Jid.parse('ann@example.org/x'), 'ann', 'example.org', undefined), true);
    assert.equal(await mayViewAccount(Jid.parse('example.org'), 'ann', 'example.org', undefined), true);
    assert.equal(await mayViewAccount(Jid.parse('ann@other.example'), 'ann', 'example.org', roster(undefined)), false, 'same name elsewhere');
    for (const [s, ok] of [['from', true], ['both', true], ['to', false], ['none', false], [undefined, false]] as const) {
      assert.equal(await mayViewAccount(Jid.parse('bob@other.example/r'), 'ann', 'example.org', roster(s)), ok, String(s));
    }
    assert.equal(await mayViewAccount(Jid.parse('bob@example.org'), 'ann', 'example.org', undefined), false, 'no roster: only the account itself');
  });
});
