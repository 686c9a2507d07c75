import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { SaslFailure } from '../errors.js';
import { deriveAllCredentials, deriveScramCredential, type ScramHash, type StoredCredentials, verifyPassword } from './credentials.js';
import { ChannelBindingUnsupported, MECHANISMS, type SaslContext } from './mechanism.js';
import { createScram } from './scram.js';

function ctxWith(creds: Record<string, StoredCredentials>, extra: Partial<SaslContext> = {}): SaslContext {
  return { lookup: async (u) => creds[u], channelBindingTypes: [], plusAdvertised: false, ...extra };
}

/** A minimal SCRAM client, to drive the server through whole exchanges. */
function clientProof(hash: ScramHash, password: string, clientFirstBare: string, serverFirst: string, clientFinalNoProof: string): string {
  const algo = hash === 'SHA-1' ? 'sha1' : 'sha256';
  const attrs = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), hash === 'SHA-1' ? 20 : 32, algo);
  const clientKey = createHmac(algo, salted).update('Client Key').digest();
  const storedKey = createHash(algo).update(clientKey).digest();
  const sig = createHmac(algo, storedKey).update(`${clientFirstBare},${serverFirst},${clientFinalNoProof}`).digest();
  return Buffer.from(clientKey.map((b, i) => b ^ sig[i]!)).toString('base64');
}

async function exchange(hash: ScramHash, plus: boolean, ctx: SaslContext, password: string, gs2 = 'n,,', cb = Buffer.alloc(0)) {
  const mech = createScram(hash, plus, ctx);
  const bare = 'n=user,r=clientnonce123';
  const s1 = await mech.step(Buffer.from(gs2 + bare));
  const serverFirst = s1.challenge!.toString();
  const nonce = /r=([^,]+)/.exec(serverFirst)![1];
  const noProof = `c=${Buffer.concat([Buffer.from(gs2), cb]).toString('base64')},r=${nonce}`;
  return mech.step(Buffer.from(`${noProof},p=${clientProof(hash, password, bare, serverFirst, noProof)}`));
}

describe('SASL', () => {
  it('reproduces the RFC 5802 §5 SCRAM-SHA-1 example', async () => {
    const cred = deriveScramCredential('SHA-1', 'pencil', { salt: Buffer.from('QSXCR+Q6sek8bf92', 'base64'), iterations: 4096 });
    const mech = createScram('SHA-1', false, ctxWith({ user: { 'SHA-1': cred } }), { serverNonce: '3rfcNHYJY1ZVvWVs7j' });
    const s1 = await mech.step(Buffer.from('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL'));
    assert.equal(s1.challenge!.toString(), 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    const s2 = await mech.step(Buffer.from('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='));
    assert.equal(s2.done!.username, 'user');
    assert.equal(s2.done!.additionalData!.toString(), 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
  });

  it('reproduces the RFC 7677 §3 SCRAM-SHA-256 example', async () => {
    const cred = deriveScramCredential('SHA-256', 'pencil', { salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), iterations: 4096 });
    const mech = createScram('SHA-256', false, ctxWith({ user: { 'SHA-256': cred } }), { serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
    const s1 = await mech.step(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    assert.equal(s1.challenge!.toString(), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const s2 = await mech.step(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='));
    assert.equal(s2.done!.additionalData!.toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('stores no password, and verifies PLAIN against the SCRAM keys', () => {
    const creds = deriveAllCredentials('s3cret!');
    assert.ok(!JSON.stringify(creds).includes('s3cret'));
    assert.ok(verifyPassword(creds['SHA-256']!, 'SHA-256', 's3cret!'));
    assert.ok(!verifyPassword(creds['SHA-256']!, 'SHA-256', 's3cret?'));
    // RFC 4013: a soft hyphen maps to nothing.
    assert.ok(verifyPassword(deriveScramCredential('SHA-1', 'IX'), 'SHA-1', 'I\u00ADX'));
  });

  it('fails a wrong password and an unknown user the same way, at the last step', async () => {
    const creds = { user: deriveAllCredentials('right') };
    await assert.rejects(exchange('SHA-256', false, ctxWith(creds), 'wrong'), (e: SaslFailure) => e.condition === 'not-authorized');
    const unknown = createScram('SHA-256', false, ctxWith({}));
    const first = await unknown.step(Buffer.from('n,,n=ghost,r=abc'));
    assert.match(first.challenge!.toString(), /^r=abc.+,s=.+,i=4096$/, 'an unknown user still gets a challenge');
    const again = await createScram('SHA-256', false, ctxWith({})).step(Buffer.from('n,,n=ghost,r=xyz'));
    assert.equal(/s=([^,]+)/.exec(again.challenge!.toString())![1], /s=([^,]+)/.exec(first.challenge!.toString())![1], 'the decoy salt is stable per user');
    assert.equal((await exchange('SHA-256', false, ctxWith(creds), 'right')).done!.username, 'user');
  });

  it('rejects malformed messages', async () => {
    for (const bad of ['', 'x,,n=user,r=a', 'n,,r=a,n=user', 'n,,m=ext,n=user,r=a', 'n,,n=us=er,r=a', 'n,,n=user,r=a,b']) {
      await assert.rejects(createScram('SHA-1', false, ctxWith({})).step(Buffer.from(bad)), (e: SaslFailure) => e instanceof SaslFailure, bad);
    }
    const mech = createScram('SHA-1', false, ctxWith({ user: deriveAllCredentials('pw') }));
    await mech.step(Buffer.from('n,,n=user,r=abc'));
    await assert.rejects(mech.step(Buffer.from('c=biws,r=WRONGNONCE,p=AAAA')), (e: SaslFailure) => e.condition === 'not-authorized');
  });

  it('binds to the TLS channel with -PLUS and detects tampering and downgrades', async () => {
    const creds = { user: deriveAllCredentials('pw') };
    const cb = Buffer.from('exported-keying-material-32bytes');
    const tlsCtx = ctxWith(creds, { channelBindingTypes: ['tls-exporter'], channelBinding: (t) => (t === 'tls-exporter' ? cb : undefined), plusAdvertised: true });
    const ok = await exchange('SHA-256', true, tlsCtx, 'pw', 'p=tls-exporter,,', cb);
    assert.ok(ok.done);
    await assert.rejects(exchange('SHA-256', true, tlsCtx, 'pw', 'p=tls-exporter,,', Buffer.from('other-channel')), /channel binding mismatch/);
    await assert.rejects(createScram('SHA-256', true, tlsCtx).step(Buffer.from('p=tls-unique,,n=user,r=a')), (e) => e instanceof ChannelBindingUnsupported);
    await assert.rejects(exchange('SHA-256', false, tlsCtx, 'pw', 'y,,'), /downgrade/);
    assert.ok((await exchange('SHA-256', false, { ...tlsCtx, plusAdvertised: false }, 'pw', 'y,,')).done, "'y' is fine where no -PLUS was offered");
    await assert.rejects(createScram('SHA-256', false, tlsCtx).step(Buffer.from('p=tls-exporter,,n=user,r=a')), /non-PLUS/);
  });

  it('PLAIN: success, failure, malformed', async () => {
    const ctx = ctxWith({ alice: deriveAllCredentials('wonderland') });
    assert.equal((await MECHANISMS.PLAIN!(ctx).step(Buffer.from('\0alice\0wonderland'))).done!.username, 'alice');
    assert.equal((await MECHANISMS.PLAIN!(ctx).step(Buffer.from('alice@localhost\0alice\0wonderland'))).done!.authzid, 'alice@localhost');
    await assert.rejects(MECHANISMS.PLAIN!(ctx).step(Buffer.from('\0alice\0nope')), (e: SaslFailure) => e.condition === 'not-authorized');
    await assert.rejects(MECHANISMS.PLAIN!(ctx).step(Buffer.from('\0bob\0wonderland')), (e: SaslFailure) => e.condition === 'not-authorized');
    await assert.rejects(MECHANISMS.PLAIN!(ctx).step(Buffer.from('alice wonderland')), (e: SaslFailure) => e.condition === 'malformed-request');
  });
});
