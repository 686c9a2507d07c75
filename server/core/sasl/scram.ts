/**
 * SCRAM server (RFC 5802, RFC 7677 for SHA-256), with channel binding for the -PLUS variants
 * (RFC 5929 tls-server-end-point, RFC 9266 tls-exporter).
 *
 * An unknown user gets a normal-looking server-first message (a deterministic salt derived from a
 * process secret and the username) and fails only at the proof, like a wrong password: the
 * exchange does not reveal which accounts exist (RFC 5802 §9).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SaslFailure } from '../errors.js';
import { DEFAULT_ITERATIONS, digest, hmac, prepPassword, type ScramCredential, type ScramHash } from './credentials.js';
import { type ChannelBindingType, ChannelBindingUnsupported, type SaslContext, type SaslMechanism } from './mechanism.js';

const FAKE_SALT_SECRET = randomBytes(32);

export interface ScramTestHooks { serverNonce?: string }

/** RFC 5802 §5.1: saslname uses =2C and =3D for ',' and '='; any other '=' is an error. */
function decodeSaslName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new SaslFailure('malformed-request', 'bad username encoding');
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

function attrs(msg: string): Array<[string, string]> {
  return msg.split(',').map((part) => {
    if (part.length < 2 || part[1] !== '=') throw new SaslFailure('malformed-request');
    return [part[0]!, part.slice(2)];
  });
}

const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

export function createScram(hash: ScramHash, plus: boolean, ctx: SaslContext, hooks: ScramTestHooks = {}): SaslMechanism {
  const name = `SCRAM-${hash}${plus ? '-PLUS' : ''}`;
  let state: 'first' | 'final' | 'done' = 'first';
  let gs2Header = '';
  let cbData: Buffer = Buffer.alloc(0);
  let clientFirstBare = '';
  let serverFirst = '';
  let nonce = '';
  let username = '';
  let authzid: string | undefined;
  let cred: ScramCredential | undefined;

  function first(msg: string): Buffer {
    // gs2-header: cbind-flag "," [authzid] ","
    const c1 = msg.indexOf(',');
    const c2 = c1 < 0 ? -1 : msg.indexOf(',', c1 + 1);
    if (c2 < 0) throw new SaslFailure('malformed-request');
    const flag = msg.slice(0, c1);
    const az = msg.slice(c1 + 1, c2);
    gs2Header = msg.slice(0, c2 + 1);
    clientFirstBare = msg.slice(c2 + 1);
    if (az) {
      if (!az.startsWith('a=')) throw new SaslFailure('malformed-request');
      authzid = decodeSaslName(az.slice(2));
    }
    if (flag.startsWith('p=')) {
      const type = flag.slice(2) as ChannelBindingType;
      if (!plus) throw new SaslFailure('malformed-request', 'channel binding requested on a non-PLUS mechanism');
      const data = ctx.channelBindingTypes.includes(type) ? ctx.channelBinding?.(type) : undefined;
      if (!data) throw new ChannelBindingUnsupported(type);
      cbData = data;
    } else if (flag === 'y') {
      // The client could bind but thinks we cannot: if we advertised -PLUS, someone removed it.
      if (plus || ctx.plusAdvertised) throw new SaslFailure('not-authorized', 'channel binding downgrade detected');
    } else if (flag === 'n') {
      if (plus) throw new SaslFailure('malformed-request', 'a -PLUS mechanism needs channel binding');
    } else {
      throw new SaslFailure('malformed-request');
    }
    const a = attrs(clientFirstBare);
    if (a[0]?.[0] === 'm') throw new SaslFailure('malformed-request', 'mandatory extensions are not supported');
    if (a[0]?.[0] !== 'n' || a[1]?.[0] !== 'r') throw new SaslFailure('malformed-request');
    try {
      username = prepPassword(decodeSaslName(a[0][1]));
    } catch (err) {
      if (err instanceof SaslFailure) throw err;
      throw new SaslFailure('malformed-request', 'prohibited characters in the username');
    }
    const clientNonce = a[1][1];
    if (!username || !PRINTABLE_NONCE.test(clientNonce)) throw new SaslFailure('malformed-request');
    nonce = clientNonce + (hooks.serverNonce ?? randomBytes(18).toString('base64'));
    return Buffer.alloc(0);
  }

  async function afterLookup(): Promise<Buffer> {
    const creds = await ctx.lookup(username);
    cred = creds?.[hash];
    const salt = cred ? cred.salt : createHmac('sha256', FAKE_SALT_SECRET).update(username).digest().subarray(0, 16).toString('base64');
    const iterations = cred ? cred.iterations : DEFAULT_ITERATIONS;
    serverFirst = `r=${nonce},s=${salt},i=${iterations}`;
    return Buffer.from(serverFirst);
  }

  function final(msg: string): Buffer {
    const proofAt = msg.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslFailure('malformed-request');
    const withoutProof = msg.slice(0, proofAt);
    const a = attrs(withoutProof);
    if (a[0]?.[0] !== 'c' || a[1]?.[0] !== 'r') throw new SaslFailure('malformed-request');
    const expectedC = Buffer.concat([Buffer.from(gs2Header), cbData]).toString('base64');
    if (a[0][1] !== expectedC) throw new SaslFailure('not-authorized', 'channel binding mismatch');
    if (a[1][1] !== nonce) throw new SaslFailure('not-authorized', 'nonce mismatch');
    const proof = Buffer.from(msg.slice(proofAt + 3), 'base64');
    if (!cred) throw new SaslFailure('not-authorized');
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const storedKey = Buffer.from(cred.storedKey, 'base64');
    const signature = hmac(hash, storedKey, authMessage);
    if (proof.length !== signature.length) throw new SaslFailure('not-authorized');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!;
    const computed = digest(hash, clientKey);
    if (computed.length !== storedKey.length || !timingSafeEqual(computed, storedKey)) throw new SaslFailure('not-authorized');
    const serverSignature = hmac(hash, Buffer.from(cred.serverKey, 'base64'), authMessage);
    return Buffer.from(`v=${serverSignature.toString('base64')}`);
  }

  return {
    name,
    async step(input) {
      const msg = input.toString('utf8');
      if (state === 'first') {
        first(msg);
        const challenge = await afterLookup();
        state = 'final';
        return { challenge };
      }
      if (state === 'final') {
        state = 'done';
        const additionalData = final(msg);
        return { done: { username, authzid, additionalData } };
      }
      throw new SaslFailure('malformed-request', 'the exchange is over');
    },
  };
}
