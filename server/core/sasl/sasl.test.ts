import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import saslprep from '@mongodb-js/saslprep';
import { SaslFailure, type SaslFailureCondition } from '../errors.js';
import {
  DEFAULT_ITERATIONS, deriveAllCredentials, deriveScramCredential, type ScramHash, type StoredCredentials, verifyPassword,
} from './credentials.js';
import { ChannelBindingUnsupported, MECHANISMS, type SaslContext, type SaslMechanism } from './mechanism.js';
import { createScram } from './scram.js';

function ctxWith(creds: Record<string, StoredCredentials>, extra: Partial<SaslContext> = {}): SaslContext & { looked: string[] } {
  const looked: string[] = [];
  return { lookup: async (u) => (looked.push(u), creds[u]), channelBindingTypes: [], plusAdvertised: false, looked, ...extra };
}

const fails = (condition: SaslFailureCondition, text?: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof SaslFailure, `expected a SaslFailure, got ${String(e)}`);
  assert.equal(e.condition, condition, e.message);
  if (text) assert.match(e.text ?? '', text);
  return true;
};

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

/** A small SCRAM client (RFC 5802 §3), written from the RFC, to drive whole exchanges. */
class ScramClient {
  readonly algo: 'sha1' | 'sha256';
  bare: string;
  gs2: string;
  serverSignature?: Buffer;
  constructor(readonly hash: ScramHash, readonly password: string, opts: { user?: string; gs2?: string; nonce?: string } = {}) {
    this.algo = hash === 'SHA-1' ? 'sha1' : 'sha256';
    this.gs2 = opts.gs2 ?? 'n,,';
    this.bare = `n=${opts.user ?? 'user'},r=${opts.nonce ?? 'clientnonce123'}`;
  }
  first(): Buffer { return b(this.gs2 + this.bare); }
  final(serverFirst: Buffer, cbData: Buffer = Buffer.alloc(0), tamper: (withoutProof: string) => string = (s) => s): Buffer {
    const sf = serverFirst.toString();
    const attrs = Object.fromEntries(sf.split(',').map((p) => [p[0], p.slice(2)]));
    const salted = pbkdf2Sync(saslprep(this.password), Buffer.from(attrs.s!, 'base64'), Number(attrs.i), this.hash === 'SHA-1' ? 20 : 32, this.algo);
    const clientKey = createHmac(this.algo, salted).update('Client Key').digest();
    const storedKey = createHash(this.algo).update(clientKey).digest();
    const withoutProof = tamper(`c=${Buffer.concat([b(this.gs2), cbData]).toString('base64')},r=${attrs.r}`);
    const authMessage = `${this.bare},${sf},${withoutProof}`;
    const sig = createHmac(this.algo, storedKey).update(authMessage).digest();
    const serverKey = createHmac(this.algo, salted).update('Server Key').digest();
    this.serverSignature = createHmac(this.algo, serverKey).update(authMessage).digest();
    return b(`${withoutProof},p=${Buffer.from(clientKey.map((x, i) => x ^ sig[i]!)).toString('base64')}`);
  }
}

async function exchange(mech: SaslMechanism, client: ScramClient, cbData?: Buffer) {
  const s1 = await mech.step(client.first());
  assert.ok(s1.challenge && !s1.done);
  const s2 = await mech.step(client.final(s1.challenge, cbData));
  // Mutual authentication: the server proves it knows the keys too.
  assert.equal(s2.done?.additionalData?.toString(), `v=${client.serverSignature!.toString('base64')}`);
  return s2.done!;
}

describe('SASL', () => {
  describe('credentials', () => {
    it('stores no password, salts each hash separately, verifies PLAIN passwords against the keys', async () => {
      const creds = deriveAllCredentials('s3cret!');
      assert.ok(!JSON.stringify(creds).includes('s3cret'));
      assert.equal(creds['SHA-1']!.iterations, DEFAULT_ITERATIONS);
      assert.equal(Buffer.from(creds['SHA-256']!.salt, 'base64').length, 16);
      assert.notEqual(creds['SHA-1']!.salt, creds['SHA-256']!.salt);
      assert.notEqual(deriveScramCredential('SHA-1', 'x').salt, deriveScramCredential('SHA-1', 'x').salt, 'random salt');
      for (const h of ['SHA-1', 'SHA-256'] as const) {
        assert.ok(await verifyPassword(creds[h]!, h, 's3cret!'));
        assert.ok(!await verifyPassword(creds[h]!, h, 's3cret?'));
      }
      assert.equal(deriveAllCredentials('p', 5000)['SHA-256']!.iterations, 5000);
    });

    it('SASLpreps passwords (RFC 4013)', async () => {
      // Soft hyphen maps to nothing; a non-ASCII space maps to SPACE; 'ª' normalises (NFKC) to 'a'.
      assert.ok(await verifyPassword(deriveScramCredential('SHA-1', 'IX'), 'SHA-1', 'I\u00ADX'));
      assert.ok(await verifyPassword(deriveScramCredential('SHA-256', 'a b'), 'SHA-256', 'a\u00A0b'));
      assert.ok(await verifyPassword(deriveScramCredential('SHA-256', '\u00AA'), 'SHA-256', 'a'));
      // Prohibited (control character) and unassigned code points are refused for stored passwords.
      assert.throws(() => deriveScramCredential('SHA-256', 'a\u0007b'));
      assert.throws(() => deriveScramCredential('SHA-256', 'a\u0221b'));
      assert.ok(!await verifyPassword(deriveScramCredential('SHA-256', 'ab'), 'SHA-256', 'a\u0007b'));
    });
  });

  describe('SCRAM', () => {
    it('reproduces the RFC 5802 §5 SCRAM-SHA-1 example', async () => {
      const cred = deriveScramCredential('SHA-1', 'pencil', { salt: Buffer.from('QSXCR+Q6sek8bf92', 'base64'), iterations: 4096 });
      const mech = createScram('SHA-1', false, ctxWith({ user: { 'SHA-1': cred } }), { serverNonce: '3rfcNHYJY1ZVvWVs7j' });
      assert.equal(mech.name, 'SCRAM-SHA-1');
      const s1 = await mech.step(b('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL'));
      assert.equal(s1.challenge!.toString(), 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
      const s2 = await mech.step(b('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='));
      assert.deepEqual(s2.done, { username: 'user', authzid: undefined, additionalData: b('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=') });
    });

    it('reproduces the RFC 7677 §3 SCRAM-SHA-256 example', async () => {
      const cred = deriveScramCredential('SHA-256', 'pencil', { salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), iterations: 4096 });
      const mech = createScram('SHA-256', false, ctxWith({ user: { 'SHA-256': cred } }), { serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
      const s1 = await mech.step(b('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
      assert.equal(s1.challenge!.toString(), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
      const s2 = await mech.step(b('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='));
      assert.equal(s2.done!.username, 'user');
      assert.equal(s2.done!.additionalData!.toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    });

    it('authenticates through MECHANISMS with a random server nonce', async () => {
      const ctx = ctxWith({ user: deriveAllCredentials('pw') });
      for (const name of ['SCRAM-SHA-1', 'SCRAM-SHA-256'] as const) {
        const mech = MECHANISMS[name]!(ctx);
        const s1 = await mech.step(b('n,,n=user,r=abc'));
        const r = /^r=abc([^,]+),/.exec(s1.challenge!.toString())![1]!;
        assert.ok(Buffer.from(r, 'base64').length >= 18, 'at least 18 random bytes of server nonce');
      }
      assert.equal((await exchange(MECHANISMS['SCRAM-SHA-256']!(ctx), new ScramClient('SHA-256', 'pw'))).username, 'user');
      assert.equal((await exchange(MECHANISMS['SCRAM-SHA-1']!(ctx), new ScramClient('SHA-1', 'pw'))).username, 'user');
    });

    it('decodes =2C/=3D in saslnames, SASLpreps the username, passes the authzid through', async () => {
      const ctx = ctxWith({ 'a,b=c': deriveAllCredentials('pw'), user: deriveAllCredentials('pw') });
      const done = await exchange(createScram('SHA-256', false, ctx), new ScramClient('SHA-256', 'pw', { user: 'a=2Cb=3Dc', gs2: 'n,a=a=2Cb=3Dc@example.com,' }));
      assert.deepEqual([done.username, done.authzid], ['a,b=c', 'a,b=c@example.com']);
      await exchange(createScram('SHA-256', false, ctx), new ScramClient('SHA-256', 'pw', { user: 'us\u00ADer' }));
      assert.ok(ctx.looked.includes('user'), 'the soft hyphen was mapped away before the lookup');
    });

    it('accepts a SASLprep-equivalent password', async () => {
      const ctx = ctxWith({ user: deriveAllCredentials('IX') });
      await exchange(createScram('SHA-1', false, ctx), new ScramClient('SHA-1', 'I\u00ADX'));
    });

    it('fails a wrong password and an unknown user identically, at the final step', async () => {
      const ctx = ctxWith({ user: deriveAllCredentials('right'), sha1only: { 'SHA-1': deriveScramCredential('SHA-1', 'right') } });
      const attempt = async (user: string, password: string, nonce = 'abc') => {
        const mech = createScram('SHA-256', false, ctx);
        const client = new ScramClient('SHA-256', password, { user, nonce });
        const s1 = await mech.step(client.first());
        const err = await mech.step(client.final(s1.challenge!)).then(() => assert.fail('accepted'), (e: SaslFailure) => e);
        return { serverFirst: s1.challenge!.toString(), err };
      };
      const wrong = await attempt('user', 'wrong');
      const ghost = await attempt('ghost', 'right');
      const noHash = await attempt('sha1only', 'right');
      for (const { serverFirst, err } of [wrong, ghost, noHash]) {
        assert.match(serverFirst, /^r=abc[A-Za-z0-9+/=]{24},s=[A-Za-z0-9+/]{22}==,i=4096$/);
        assert.ok(err instanceof SaslFailure);
        assert.deepEqual([err.condition, err.text], ['not-authorized', undefined]);
      }
      // Like a real account, a missing one keeps its salt from one attempt to the next, and has
      // different salts for different hashes.
      const salt = (s: string) => /s=([^,]+)/.exec(s)![1];
      assert.equal(salt((await attempt('ghost', 'x', 'xyz')).serverFirst), salt(ghost.serverFirst));
      assert.notEqual(salt(ghost.serverFirst), salt(noHash.serverFirst));
      const sha1 = await createScram('SHA-1', false, ctx).step(b('n,,n=ghost,r=a'));
      assert.notEqual(salt(sha1.challenge!.toString()), salt(ghost.serverFirst));
    });

    it('propagates a failure thrown by lookup', async () => {
      const ctx = ctxWith({}, { lookup: async () => { throw new SaslFailure('temporary-auth-failure'); } });
      await assert.rejects(createScram('SHA-1', false, ctx).step(b('n,,n=u,r=a')), fails('temporary-auth-failure'));
    });

    it('rejects malformed client-first messages', async () => {
      const cases: Array<[string | Buffer, SaslFailureCondition]> = [
        ['', 'malformed-request'],
        ['n,', 'malformed-request'],
        ['x,,n=user,r=a', 'malformed-request'],
        ['n,x=foo,n=user,r=a', 'malformed-request'],
        ['n,a=,n=user,r=a', 'malformed-request'],
        ['n,,r=a,n=user', 'malformed-request'],
        ['n,,n=user', 'malformed-request'],
        ['n,,m=ext,n=user,r=a', 'malformed-request'],
        ['n,,n=us=er,r=a', 'malformed-request'],
        ['n,,n=us=2cer,r=a', 'malformed-request'],
        ['n,,n=,r=a', 'malformed-request'],
        ['n,,n=\u00AD,r=a', 'malformed-request'],
        ['n,,n=us\u0007er,r=a', 'malformed-request'],
        ['n,,n=user,r=', 'malformed-request'],
        ['n,,n=user,r=a\u00e9', 'malformed-request'],
        ['n,,n=user,r=a,b', 'malformed-request'],
        ['n,,n=user,r=a,', 'malformed-request'],
        ['p=,,n=user,r=a', 'malformed-request'],
        [Buffer.from([0x6e, 0x2c, 0x2c, 0x6e, 0x3d, 0xff, 0x2c, 0x72, 0x3d, 0x61]), 'malformed-request'],
      ];
      for (const [msg, condition] of cases) {
        const ctx = ctxWith({ user: deriveAllCredentials('pw') });
        await assert.rejects(createScram('SHA-1', false, ctx).step(Buffer.isBuffer(msg) ? msg : b(msg)), fails(condition), JSON.stringify(msg));
        assert.deepEqual(ctx.looked, [], 'rejected before the lookup');
      }
      await assert.rejects(createScram('SHA-1', false, ctxWith({})).step(b('n,,m=ext,n=user,r=a')), fails('malformed-request', /extensions/));
      // A username is prepared as a query: an unassigned code point just finds no account.
      const ctx = ctxWith({});
      assert.ok((await createScram('SHA-1', false, ctx).step(b('n,,n=a\u0221b,r=a'))).challenge);
      assert.deepEqual(ctx.looked, ['a\u0221b']);
      // Unknown extensions after the nonce are allowed (RFC 5802 §7).
      assert.ok((await createScram('SHA-1', false, ctxWith({})).step(b('n,,n=user,r=a,x=ext'))).challenge);
    });

    it('rejects malformed or tampered client-final messages', async () => {
      const creds = { user: deriveAllCredentials('pw') };
      const run = async (tamper: (withoutProof: string) => string, replaceProof?: (msg: string) => string) => {
        const mech = createScram('SHA-256', false, ctxWith(creds));
        const client = new ScramClient('SHA-256', 'pw');
        const s1 = await mech.step(client.first());
        let msg = client.final(s1.challenge!, undefined, tamper).toString();
        if (replaceProof) msg = replaceProof(msg);
        return mech.step(b(msg));
      };
      const keep = (s: string) => s;
      await assert.rejects(run((s) => s.replace(/r=clientnonce123/, 'r=clientnonce124')), fails('not-authorized', /nonce/));
      await assert.rejects(run((s) => s.replace('c=biws', 'c=eSws')), fails('not-authorized', /channel binding/));
      await assert.rejects(run((s) => s.replace('c=biws', 'c=bix')), fails('incorrect-encoding'));
      await assert.rejects(run((s) => s.replace(/^c=biws,/, '')), fails('malformed-request'));
      await assert.rejects(run((s) => s.replace(/,r=[^,]+/, '')), fails('malformed-request'));
      await assert.rejects(run(keep, (m) => m.replace(/,p=.*/, '')), fails('malformed-request'));
      await assert.rejects(run(keep, (m) => `${m},x=after-proof`), fails('malformed-request'));
      await assert.rejects(run(keep, (m) => m.replace(/,p=.*/, ',p=')), fails('incorrect-encoding'));
      await assert.rejects(run(keep, (m) => m.replace(/,p=.*/, ',p=not*base64')), fails('incorrect-encoding'));
      await assert.rejects(run(keep, (m) => m.replace(/,p=.*/, ',p=AAAA')), fails('not-authorized'));
      await assert.rejects(run(keep, (m) => m.replace(/p=(.)/, (_, c: string) => `p=${c === 'A' ? 'B' : 'A'}`)), fails('not-authorized'));
      // An extension in the final message is covered by the proof, and accepted.
      assert.ok((await run((s) => `${s},x=ext`)).done);
    });

    it('ends the exchange after success or failure', async () => {
      const ctx = ctxWith({ user: deriveAllCredentials('pw') });
      const mech = createScram('SHA-1', false, ctx);
      await exchange(mech, new ScramClient('SHA-1', 'pw'));
      await assert.rejects(mech.step(b('c=biws,r=x,p=AAAA')), fails('malformed-request'));
      const failed = createScram('SHA-1', false, ctx);
      await assert.rejects(failed.step(b('n,,n=us=er,r=a')));
      await assert.rejects(failed.step(b('n,,n=user,r=a')), fails('malformed-request', /over/));
    });
  });

  describe('channel binding', () => {
    const creds = { user: deriveAllCredentials('pw') };
    const exporter = Buffer.from('0123456789abcdef0123456789abcdef');
    const endPoint = Buffer.from('certificate-hash-for-end-point!!');
    const tls = (extra: Partial<SaslContext> = {}) => ctxWith(creds, {
      channelBindingTypes: ['tls-exporter', 'tls-server-end-point'],
      channelBinding: (t) => (t === 'tls-exporter' ? exporter : endPoint),
      plusAdvertised: true,
      ...extra,
    });

    it('binds to tls-exporter and tls-server-end-point with -PLUS', async () => {
      const mech = MECHANISMS['SCRAM-SHA-256-PLUS']!(tls());
      assert.equal(mech.name, 'SCRAM-SHA-256-PLUS');
      assert.equal((await exchange(mech, new ScramClient('SHA-256', 'pw', { gs2: 'p=tls-exporter,,' }), exporter)).username, 'user');
      await exchange(MECHANISMS['SCRAM-SHA-1-PLUS']!(tls()), new ScramClient('SHA-1', 'pw', { gs2: 'p=tls-server-end-point,,' }), endPoint);
    });

    it('fails when the client bound to different channel data', async () => {
      for (const other of [endPoint, Buffer.from('another TLS connection'), Buffer.alloc(0)]) {
        const mech = createScram('SHA-256', true, tls());
        const client = new ScramClient('SHA-256', 'pw', { gs2: 'p=tls-exporter,,' });
        const s1 = await mech.step(client.first());
        await assert.rejects(mech.step(client.final(s1.challenge!, other)), fails('not-authorized', /channel binding mismatch/));
      }
    });

    it('fails a binding type the connection does not offer, with a distinguishable error', async () => {
      const only = tls({ channelBindingTypes: ['tls-server-end-point'] });
      for (const gs2 of ['p=tls-unique,,', 'p=tls-exporter,,']) {
        await assert.rejects(createScram('SHA-256', true, only).step(b(`${gs2}n=user,r=a`)), (e) => e instanceof ChannelBindingUnsupported && (e as SaslFailure).condition === 'not-authorized');
      }
      // Offered but the TLS layer has no data for it (e.g. exporter before the handshake finished).
      const noData = tls({ channelBinding: () => undefined });
      await assert.rejects(createScram('SHA-256', true, noData).step(b('p=tls-exporter,,n=user,r=a')), (e) => e instanceof ChannelBindingUnsupported);
    });

    it("detects a downgrade: 'y' where -PLUS was advertised", async () => {
      await assert.rejects(createScram('SHA-256', false, tls()).step(b('y,,n=user,r=a')), fails('not-authorized', /downgrade/));
      // Without -PLUS on offer, 'y' is an honest answer.
      await exchange(createScram('SHA-256', false, tls({ plusAdvertised: false })), new ScramClient('SHA-256', 'pw', { gs2: 'y,,' }));
      await exchange(createScram('SHA-256', false, ctxWith(creds)), new ScramClient('SHA-256', 'pw', { gs2: 'y,,' }));
      // 'n' (client cannot bind) is fine even where -PLUS was advertised.
      await exchange(createScram('SHA-256', false, tls()), new ScramClient('SHA-256', 'pw'));
    });

    it("refuses 'p=' on a non-PLUS mechanism and 'n'/'y' on a -PLUS one", async () => {
      await assert.rejects(createScram('SHA-256', false, tls()).step(b('p=tls-exporter,,n=user,r=a')), fails('malformed-request', /non-PLUS/));
      await assert.rejects(createScram('SHA-256', true, tls()).step(b('n,,n=user,r=a')), fails('malformed-request'));
      await assert.rejects(createScram('SHA-256', true, tls()).step(b('y,,n=user,r=a')), fails('malformed-request'));
    });

    it('covers the gs2 header in c=: a relay cannot swap the flag', async () => {
      // The client sent 'n' first; a final message claiming 'y' (or vice versa) does not match.
      const mech = createScram('SHA-256', false, tls({ plusAdvertised: false }));
      const client = new ScramClient('SHA-256', 'pw', { gs2: 'y,,' });
      const s1 = await mech.step(client.first());
      await assert.rejects(mech.step(client.final(s1.challenge!, undefined, (s) => s.replace(/^c=[^,]+/, 'c=biws'))), fails('not-authorized', /channel binding/));
    });
  });

  describe('PLAIN', () => {
    const ctx = () => ctxWith({ alice: deriveAllCredentials('wonderland'), old: { 'SHA-1': deriveScramCredential('SHA-1', 'pw') } });
    const plain = (s: string | Buffer, c: SaslContext = ctx()) => MECHANISMS.PLAIN!(c).step(Buffer.isBuffer(s) ? s : b(s));

    it('succeeds, with and without an authzid, against either stored hash', async () => {
      assert.deepEqual((await plain('\0alice\0wonderland')).done, { username: 'alice', authzid: undefined });
      assert.equal((await plain('alice@localhost\0alice\0wonderland')).done!.authzid, 'alice@localhost');
      assert.equal((await plain('someone-else@localhost\0alice\0wonderland')).done!.authzid, 'someone-else@localhost', 'the caller decides');
      assert.equal((await plain('\0old\0pw')).done!.username, 'old');
      assert.equal(MECHANISMS.PLAIN!(ctx()).name, 'PLAIN');
    });

    it('SASLpreps the username and password', async () => {
      const c = ctx();
      assert.equal((await plain('\0al\u00ADice\0wonder\u00ADland', c)).done!.username, 'alice');
      assert.deepEqual(c.looked, ['alice']);
    });

    it('fails a wrong password and an unknown user the same way', async () => {
      for (const msg of ['\0alice\0nope', '\0bob\0wonderland', '\0alice\0Wonderland']) {
        await assert.rejects(plain(msg), (e) => fails('not-authorized')(e) && (e as SaslFailure).text === undefined);
      }
    });

    it('rejects malformed messages', async () => {
      for (const msg of ['alice wonderland', 'alice\0wonderland', '\0alice\0wonder\0land', '\0\0wonderland', '\0alice\0', '\0alice\0\u00AD', '\0al\u0007ice\0pw', '\0alice\0pass\u0007']) {
        await assert.rejects(plain(msg), fails('malformed-request'), JSON.stringify(msg));
      }
      await assert.rejects(plain(Buffer.from([0, 0x61, 0, 0xc3, 0x28])), fails('malformed-request', /UTF-8/));
    });

    it('is a single step', async () => {
      const mech = MECHANISMS.PLAIN!(ctx());
      await mech.step(b('\0alice\0wonderland'));
      await assert.rejects(mech.step(b('\0alice\0wonderland')), fails('malformed-request'));
    });
  });
});
