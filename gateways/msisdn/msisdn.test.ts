/** The msisdn logic in process: normalisation table, NAPTR parsing, directory privacy, cache and limits. */
import assert from 'node:assert/strict';
import type { KeyValueStore } from '../../storage/types.js';
import { TtlCache } from './cache.js';
import { type MsisdnRecord, MsisdnDirectory } from './directory.js';
import { normalise } from './e164.js';
import { enumDomain, orderedTargets, substitute, uriToJid, wantedService } from './enum.js';
import { PrefixTable } from './prefixes.js';
import { RateLimit } from './rate.js';

function memoryStore<T>(): KeyValueStore<T> {
  const m = new Map<string, T>();
  return {
    get: async (u) => m.get(u),
    set: async (u, v) => { if (v === undefined) m.delete(u); else m.set(u, v); },
    users: async function* () { yield* m.keys(); },
  };
}

describe('E.164 normalisation', () => {
  const table: Array<[string, string | null, string | undefined]> = [
    ['+447911123456', null, '+447911123456'],
    ['+44 7911 123456', null, '+447911123456'],
    ['+44 (0)7911-123456', null, '+447911123456'],
    ['0044 7911 123456', null, '+447911123456'],
    ['07911 123456', 'GB', '+447911123456'],
    ['07911 123456', null, undefined],          // national form without a default region
    ['06 12 34 56 78', 'FR', '+33612345678'],
    ['+33 6 12 34 56 78', 'GB', '+33612345678'], // international form ignores the region
    ['+1 (415) 555-2671', null, '+14155552671'],
    ['112', 'GB', undefined],                    // emergency short code
    ['999', 'GB', undefined],
    ['118118', 'FR', undefined],                 // directory-enquiry short code
    ['+447911', null, undefined],                // too short
    ['+4479111234567890', null, undefined],      // too long
    ['+999123456789', null, undefined],          // no such country code
    ['alice@example.org', 'GB', undefined],
    ['', 'GB', undefined],
    ['+44 7911 12345a', null, undefined],
  ];
  for (const [input, region, want] of table) {
    it(`${JSON.stringify(input)} (${region ?? 'no region'}) → ${want ?? 'rejected'}`, () => {
      assert.equal(normalise(input, region), want);
    });
  }
});

describe('NAPTR processing (RFC 6116, RFC 3402)', () => {
  it('builds the ENUM domain from the reversed digits', () => {
    assert.equal(enumDomain('+447911123456', 'e164.arpa'), '6.5.4.3.2.1.1.1.9.7.4.4.e164.arpa');
    assert.equal(enumDomain('+12', 'enum.carrier.test.'), '2.1.enum.carrier.test');
  });
  it('substitutes with back-references, escaped delimiters and the i flag', () => {
    assert.equal(substitute('!^\\+44(.*)$!xmpp:\\1@uk.test!', '+447911123456'), 'xmpp:7911123456@uk.test');
    assert.equal(substitute('#^\\+(..)(.*)$#xmpp:\\2\\#\\1@x.test#', '+4479'), 'xmpp:79#44@x.test');
    assert.equal(substitute('!^\\+44!x!', '+33'), undefined);
    assert.equal(substitute('!^A(.*)$!xmpp:\\1@x!i', 'abc'), 'xmpp:bc@x');
    assert.equal(substitute('!^(.*$!x!', '+1'), undefined, 'a broken ERE matches nothing');
    assert.equal(substitute('!a!b', '+1'), undefined, 'missing delimiter');
  });
  it('matches E2U+xmpp and E2U+im enumservices only', () => {
    for (const s of ['E2U+xmpp', 'e2u+XMPP', 'E2U+im', 'E2U+sip+im', 'E2U+im:xmpp']) assert.ok(wantedService(s), s);
    for (const s of ['E2U+sip', 'E2U+email:mailto', 'SIP+D2U', 'E2U+xmppx']) assert.ok(!wantedService(s), s);
  });
  it('turns xmpp: and im: URIs into bare JIDs', () => {
    assert.equal(uriToJid('xmpp:bob@b.test')?.toString(), 'bob@b.test');
    assert.equal(uriToJid('xmpp:bob@b.test/phone?message')?.toString(), 'bob@b.test');
    assert.equal(uriToJid('xmpp://me@a.test/bob@b.test')?.toString(), 'bob@b.test');
    assert.equal(uriToJid('xmpp:b%C3%B6b@b.test')?.toString(), 'böb@b.test');
    assert.equal(uriToJid('im:carol@c.test')?.toString(), 'carol@c.test');
    assert.equal(uriToJid('sip:carol@c.test'), undefined);
    assert.equal(uriToJid('xmpp:b.test'), undefined, 'a domain is not a subscriber');
  });
  it('orders by order then preference and ignores non-terminal records', () => {
    const t = orderedTargets([
      { order: 20, preference: 0, flags: 'u', service: 'E2U+xmpp', regexp: '!^.*$!xmpp:c@x!', replacement: '' },
      { order: 10, preference: 20, flags: 'u', service: 'E2U+xmpp', regexp: '!^.*$!xmpp:b@x!', replacement: '' },
      { order: 10, preference: 10, flags: 'u', service: 'E2U+im', regexp: '!^.*$!im:a@x!', replacement: '' },
      { order: 1, preference: 1, flags: '', service: 'E2U+xmpp', regexp: '', replacement: 'next.e164.arpa' },
    ], '+1');
    assert.deepEqual(t.map((x) => x.jid.toString()), ['a@x', 'b@x', 'c@x']);
  });
});

describe('the subscriber directory', () => {
  let dir: MsisdnDirectory;
  let store: KeyValueStore<MsisdnRecord>;
  beforeEach(() => {
    store = memoryStore();
    dir = new MsisdnDirectory({ store, discoverableByDefault: false });
  });

  it('resolves only verified numbers of discoverable accounts; everything else looks unknown', async () => {
    await dir.link('alice', '+447911123456');
    assert.equal(await dir.resolve('+447911123456'), undefined, 'undiscoverable by default');
    await dir.setDiscoverable('alice', true);
    assert.equal(await dir.resolve('+447911123456'), 'alice');
    await dir.claim('bob', '+447911123457');
    await dir.setDiscoverable('bob', true);
    assert.equal(await dir.resolve('+447911123457'), undefined, 'unverified');
    assert.equal(await dir.verify('+447911123457'), 'bob');
    assert.equal(await dir.resolve('+447911123457'), 'bob');
    await dir.setDiscoverable('bob', false);
    assert.equal(await dir.resolve('+447911123457'), await dir.resolve('+447911000000'));
  });

  it('one account per number: claims conflict, the operator overrides an unverified claim', async () => {
    await dir.claim('mallory', '+447911123456');
    await assert.rejects(dir.claim('alice', '+447911123456'), /conflict/);
    await dir.link('alice', '+447911123456');
    assert.deepEqual(await dir.numbers('mallory'), []);
    await assert.rejects(dir.link('bob', '+447911123456'), /conflict/);
    await dir.link('alice', '+447400123456');
    assert.deepEqual((await dir.numbers('alice')).map((n) => n.e164), ['+447911123456', '+447400123456']);
  });

  it('survives a restart (the index is rebuilt from the store) and forgets deleted users', async () => {
    await dir.link('alice', '+447911123456');
    await dir.setDiscoverable('alice', true);
    const again = new MsisdnDirectory({ store, discoverableByDefault: false });
    assert.equal(await again.resolve('+447911123456'), 'alice');
    await again.removeUser('alice');
    assert.equal(await again.resolve('+447911123456'), undefined);
    assert.equal(await again.owner('+447911123456'), undefined);
  });

  it('unlink by a user only touches their own number', async () => {
    await dir.link('alice', '+447911123456');
    await assert.rejects(dir.unlink('+447911123456', 'bob'), /item-not-found/);
    assert.equal(await dir.unlink('+447911123456', 'alice'), 'alice');
  });
});

describe('cache, rate limit, prefix table', () => {
  it('expires entries and evicts the oldest', () => {
    let t = 0;
    const c = new TtlCache<number>(2, () => t);
    c.set('a', 1, 100);
    c.set('b', 2, 10);
    t = 20;
    assert.equal(c.get('b'), undefined);
    assert.equal(c.get('a'), 1);
    c.set('c', 3, 100);
    c.set('d', 4, 100);
    assert.equal(c.get('a'), undefined, 'evicted');
    assert.equal(c.get('d'), 4);
  });
  it('limits per key per window', () => {
    let t = 0;
    const r = new RateLimit(2, 60_000, () => t);
    assert.ok(r.take('p'));
    assert.ok(r.take('p'));
    assert.ok(!r.take('p'));
    assert.ok(r.take('q'));
    t = 60_000;
    assert.ok(r.take('p'));
  });
  it('takes the longest matching prefix', () => {
    const p = new PrefixTable([{ prefix: '+44', domain: 'uk.test' }, { prefix: '+447911', domain: 'mobile.test' }]);
    assert.equal(p.lookup('+447911123456'), 'mobile.test');
    assert.equal(p.lookup('+442079460958'), 'uk.test');
    assert.equal(p.lookup('+33612345678'), undefined);
  });
});
