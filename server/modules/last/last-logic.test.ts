/** XEP-0012 payloads and the access rule, without a server. */
import assert from 'node:assert/strict';
import { Jid } from '../../core/jid.js';
import { maySeePresence } from './access.js';
import { lastElement, NS_LAST, secondsSince } from './activity.js';

describe('last: payloads and access', () => {
  it('counts whole seconds, never negative (a clock step back)', () => {
    assert.equal(secondsSince(1_000, 3_999), 2);
    assert.equal(secondsSince(5_000, 1_000), 0);
  });

  it('writes seconds and the optional status (§4)', () => {
    assert.equal(lastElement(903, 'Heading Home').toString(), `<query xmlns="${NS_LAST}" seconds="903">Heading Home</query>`);
    assert.equal(lastElement(0).toString(), `<query xmlns="${NS_LAST}" seconds="0"/>`);
  });

  it('answers the account, its server and contacts with from/both (§7)', async () => {
    const roster = (subscription?: 'none' | 'to' | 'from' | 'both') => ({ item: async () => (subscription ? { subscription } : undefined) });
    assert.equal(await maySeePresence(Jid.parse('ann@example.org/x'), 'ann', 'example.org', undefined), true);
    assert.equal(await maySeePresence(Jid.parse('bob@example.org/x'), 'ann', 'example.org', roster('both')), true);
    assert.equal(await maySeePresence(Jid.parse('bob@example.org/x'), 'ann', 'example.org', roster('from')), true);
    assert.equal(await maySeePresence(Jid.parse('bob@example.org/x'), 'ann', 'example.org', roster('to')), false);
    assert.equal(await maySeePresence(Jid.parse('bob@example.org/x'), 'ann', 'example.org', roster()), false);
  });
});
