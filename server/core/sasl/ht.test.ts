/**
 * The HT mechanisms (draft-schmaus-kitten-sasl-ht-08) against an independent client: xmpp.js's
 * @xmpp/sasl-ht-sha-256-none (Web Crypto), and the hashed-key storage property (RFC 2104 §2).
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
// @ts-expect-error the package ships no types
import { Mechanism as XmppHt } from '@xmpp/sasl-ht-sha-256-none';
import { SaslFailure } from '../errors.js';
import { createHt, htProof, tokenKey, type FastMechanismName, type HtContext } from './ht.js';

function ctx(tokens: Record<string, string>, cb?: Buffer): HtContext & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    lookup: async () => undefined,
    channelBindingTypes: cb ? ['tls-exporter', 'tls-server-end-point'] : [],
    channelBinding: () => cb,
    plusAdvertised: false,
    tokens: async (user, mech) => {
      asked.push(`${user}/${mech}`);
      return Object.entries(tokens).map(([id, t]) => ({ id, key: tokenKey(t) }));
    },
  };
}

describe('HT-SHA-256 mechanisms', () => {
  const token = randomBytes(72).toString('base64url');

  it('HMAC with the SHA-256 of a token longer than the block equals HMAC with the token', () => {
    assert.deepEqual(createHmac('sha256', tokenKey(token)).update('Initiator').digest(), createHmac('sha256', token).update('Initiator').digest());
  });

  it("accepts xmpp.js's HT-SHA-256-NONE and returns the responder proof it verifies", async () => {
    const client = new (XmppHt as unknown as new () => { response(c: object): Promise<string>; final(d: string): Promise<void> })();
    const first = Buffer.from(await client.response({ username: 'alice', password: token }), 'latin1');
    const c = ctx({ t1: 'some-other-token-'.repeat(5), t2: token });
    const step = await createHt('HT-SHA-256-NONE', c).step(first);
    assert.equal(step.done?.username, 'alice');
    assert.equal(step.done?.token, 't2');
    assert.deepEqual(c.asked, ['alice/HT-SHA-256-NONE']);
    await client.final(step.done!.additionalData!.toString('latin1')); // throws if the server's proof is wrong
  });

  for (const name of ['HT-SHA-256-EXPR', 'HT-SHA-256-ENDP'] as FastMechanismName[]) {
    it(`${name} mixes the channel binding into both proofs`, async () => {
      const cb = randomBytes(32);
      const msg = Buffer.concat([Buffer.from('bob\0'), htProof(tokenKey(token), 'Initiator', cb)]);
      const step = await createHt(name, ctx({ t: token }, cb)).step(msg);
      assert.deepEqual(step.done?.additionalData, createHmac('sha256', token).update('Responder').update(cb).digest());
      await assert.rejects(createHt(name, ctx({ t: token }, randomBytes(32))).step(msg), (e: SaslFailure) => e.condition === 'not-authorized', 'another connection');
      await assert.rejects(createHt(name, ctx({ t: token })).step(msg), (e: SaslFailure) => e.condition === 'not-authorized', 'no binding data');
    });
  }

  it('refuses a wrong token, a malformed message and a second step', async () => {
    const good = Buffer.concat([Buffer.from('alice\0'), htProof(tokenKey(token), 'Initiator', Buffer.alloc(0))]);
    await assert.rejects(createHt('HT-SHA-256-NONE', ctx({ t: `${token}x` })).step(good), (e: SaslFailure) => e.condition === 'not-authorized');
    await assert.rejects(createHt('HT-SHA-256-NONE', ctx({})).step(good), (e: SaslFailure) => e.condition === 'not-authorized', 'no tokens');
    await assert.rejects(createHt('HT-SHA-256-NONE', ctx({ t: token })).step(Buffer.from('alice')), (e: SaslFailure) => e.condition === 'malformed-request');
    await assert.rejects(createHt('HT-SHA-256-NONE', ctx({ t: token })).step(good.subarray(0, good.length - 1)), (e: SaslFailure) => e.condition === 'malformed-request');
    const m = createHt('HT-SHA-256-NONE', ctx({ t: token }));
    await m.step(good);
    await assert.rejects(m.step(good), (e: SaslFailure) => e.condition === 'malformed-request');
  });
});
