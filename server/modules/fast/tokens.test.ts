/** The FAST token store (XEP-0484 §3.3-§3.6) on the real embedded storage, with a test clock. */
import assert from 'node:assert/strict';
import { openTempStorage, type TempStorage } from '../../../test/harness/in-process.js';
import { tokenKey } from '../../core/sasl/ht.js';
import { type ClientTokens, createTokens } from './tokens.js';

const DAY = 86_400_000;

describe('FAST token store', () => {
  let tmp: TempStorage;
  let now: number;
  let tokens: ReturnType<typeof createTokens>;
  beforeEach(() => {
    tmp = openTempStorage();
    now = Date.UTC(2026, 0, 1);
    tokens = createTokens({ store: tmp.storage.map<ClientTokens>('localhost', 'fast_tokens'), lifetimeMs: 14 * DAY, now: () => now });
  });
  afterEach(() => tmp.cleanup());

  const ids = async (user: string, client: string) => (await tokens.candidates(user, client, 'HT-SHA-256-NONE')).map((c) => c.id);

  it('stores only the digest, never the token, and expires it after the lifetime', async () => {
    const t = await tokens.issue('alice', 'phone', 'HT-SHA-256-NONE');
    assert.equal(t.expiry.getTime(), now + 14 * DAY);
    const raw = JSON.stringify([...(await tmp.storage.map<ClientTokens>('localhost', 'fast_tokens').all('alice')).values()]);
    assert.ok(!raw.includes(t.token), 'the token is not in storage');
    const [c] = await tokens.candidates('alice', 'phone', 'HT-SHA-256-NONE');
    assert.deepEqual(c!.key, tokenKey(t.token));
    assert.deepEqual(await tokens.candidates('alice', 'phone', 'HT-SHA-256-ENDP'), [], 'bound to its mechanism');
    assert.deepEqual(await ids('alice', 'laptop'), [], 'per client');
    now += 14 * DAY + 1;
    assert.deepEqual(await ids('alice', 'phone'), [], 'expired');
  });

  it('rotation keeps the token in use until the new one is used; then the older goes (§3.5)', async () => {
    await tokens.issue('alice', 'phone', 'HT-SHA-256-NONE');
    const [first] = await ids('alice', 'phone');
    now += DAY;
    await tokens.issue('alice', 'phone', 'HT-SHA-256-NONE', first);
    const both = await ids('alice', 'phone');
    assert.equal(both.length, 2);
    const second = both.find((i) => i !== first)!;
    assert.deepEqual((await tokens.used('alice', 'phone', first!, { invalidate: false })), { rotate: false }, 'a newer one is on its way');
    assert.equal((await ids('alice', 'phone')).length, 2, 'using the old one keeps both');
    await tokens.used('alice', 'phone', second, { invalidate: false });
    assert.deepEqual(await ids('alice', 'phone'), [second]);
    now += 8 * DAY;
    assert.deepEqual(await tokens.used('alice', 'phone', second, { invalidate: false }), { rotate: true }, 'past half its life');
  });

  it('a new token replaces unused ones except the one in use; invalidate and purge remove', async () => {
    await tokens.issue('alice', 'phone', 'HT-SHA-256-NONE');
    await tokens.issue('alice', 'phone', 'HT-SHA-256-NONE');
    const [only] = await ids('alice', 'phone');
    assert.equal((await ids('alice', 'phone')).length, 1);
    await tokens.used('alice', 'phone', only!, { invalidate: true });
    assert.deepEqual(await ids('alice', 'phone'), []);
    await tokens.issue('alice', 'phone', 'HT-SHA-256-NONE');
    await tokens.purge('alice');
    assert.deepEqual(await ids('alice', 'phone'), []);
  });
});
