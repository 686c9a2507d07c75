/**
 * SCRAM server (RFC 5802; RFC 7677 for SHA-256) with channel binding for the -PLUS variants
 * (RFC 5056; types tls-server-end-point from RFC 5929 and tls-exporter from RFC 9266; the TLS
 * layer computes the data, this file only compares it).
 *
 * An unknown user gets a normal-looking server-first message (a decoy credential derived from a
 * process secret and the username) and the proof check runs against the decoy, so the exchange
 * fails at the same step, with the same error, as a wrong password (RFC 5802 §9).
 */
import { randomBytes } from 'node:crypto';
import { SaslFailure } from '../errors.js';
import {
  decoyCredential, digest, hashSize, hmac, prepUsername, sameBytes, type ScramCredential, type ScramHash,
} from './credentials.js';
import type { ChannelBindingType, SaslContext, SaslMechanism, SaslStep } from './mechanism.js';

/**
 * The client asked for a channel-binding type this connection does not support (RFC 5802 §6:
 * the server MUST fail). Not a wrong password: the stream remembers it, after which the client's
 * 'y' flag ("I could bind, but you cannot") is the truth rather than a sign of a downgrade.
 */
export class ChannelBindingUnsupported extends SaslFailure {
  constructor(type: string) {
    super('not-authorized', `channel binding type ${type} is not supported`);
  }
}

/** Test hook: a fixed server nonce part, to reproduce the RFC examples. */
export interface ScramOptions { serverNonce?: string }

const SERVER_NONCE_BYTES = 18;
const malformed = (text?: string): SaslFailure => new SaslFailure('malformed-request', text);
/** RFC 5802 §7: printable = %x21-2B / %x2D-7E (no comma). */
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;
/** RFC 5056 §7: cb-name = 1*(ALPHA / DIGIT / "." / "-"). */
const CB_NAME = /^[A-Za-z0-9.-]+$/;
/** Strict, padded base64; Buffer.from(…, 'base64') would silently skip stray characters. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** RFC 5802 §5.1: in a saslname ',' and '=' travel as '=2C' and '=3D'; any other '=' MUST fail. */
function decodeSaslName(s: string): string {
  if (!s || /=(?!2C|3D)/.test(s)) throw malformed('bad saslname encoding');
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** Splits `k=v,k=v` into pairs; every attribute is a single letter followed by '='. */
function attributes(msg: string): Array<[string, string]> {
  return msg.split(',').map((part) => {
    if (!/^[A-Za-z]=/.test(part)) throw malformed();
    return [part[0]!, part.slice(2)];
  });
}

export function createScram(hash: ScramHash, plus: boolean, ctx: SaslContext, opts: ScramOptions = {}): SaslMechanism {
  const name = `SCRAM-${hash}${plus ? '-PLUS' : ''}`;
  let state: 'first' | 'final' | 'over' = 'first';
  // Kept from the first round for the second: the c= check and the AuthMessage need them.
  let cbindInput = '';
  let clientFirstBare = '';
  let serverFirst = '';
  let nonce = '';
  let username = '';
  let authzid: string | undefined;
  let cred: ScramCredential;
  let known = false;

  /** The gs2 flag (RFC 5802 §6): returns the channel-binding data the client must echo in c=. */
  function checkCbindFlag(flag: string): Buffer {
    if (flag.startsWith('p=')) {
      const type = flag.slice(2);
      if (!CB_NAME.test(type)) throw malformed();
      if (!plus) throw malformed('channel binding requested on a non-PLUS mechanism');
      const offered = (ctx.channelBindingTypes as readonly string[]).includes(type);
      const data = offered ? ctx.channelBinding?.(type as ChannelBindingType) : undefined;
      if (!data) throw new ChannelBindingUnsupported(type);
      return data;
    }
    // A -PLUS mechanism is the promise to bind; 'n' or 'y' with it is a contradiction.
    if ((flag === 'n' || flag === 'y') && plus) throw malformed(`${name} requires channel binding`);
    // 'y': the client can bind but believes we cannot. Had we offered -PLUS, someone removed it.
    if (flag === 'y' && ctx.plusAdvertised) throw new SaslFailure('not-authorized', 'channel binding downgrade detected');
    if (flag === 'n' || flag === 'y') return Buffer.alloc(0);
    throw malformed();
  }

  async function clientFirst(msg: string): Promise<SaslStep> {
    // gs2-header = gs2-cbind-flag "," [ "a=" saslname ] ","
    const c1 = msg.indexOf(',');
    const c2 = c1 < 0 ? -1 : msg.indexOf(',', c1 + 1);
    if (c2 < 0) throw malformed();
    const gs2Header = msg.slice(0, c2 + 1);
    const az = msg.slice(c1 + 1, c2);
    clientFirstBare = msg.slice(c2 + 1);

    const cbData = checkCbindFlag(msg.slice(0, c1));
    cbindInput = Buffer.concat([Buffer.from(gs2Header, 'utf8'), cbData]).toString('base64');
    if (az) {
      if (!az.startsWith('a=')) throw malformed();
      authzid = decodeSaslName(az.slice(2));
    }

    // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
    const attrs = attributes(clientFirstBare);
    if (attrs[0]?.[0] === 'm') throw malformed('mandatory extensions are not supported');
    const [n, r] = attrs;
    if (n?.[0] !== 'n' || r?.[0] !== 'r') throw malformed();
    try {
      username = prepUsername(decodeSaslName(n[1]));
    } catch (err) {
      throw err instanceof SaslFailure ? err : malformed('username refused by SASLprep');
    }
    if (!username) throw malformed('empty username');
    if (!NONCE.test(r[1])) throw malformed('bad nonce');
    nonce = r[1] + (opts.serverNonce ?? randomBytes(SERVER_NONCE_BYTES).toString('base64'));

    const stored = (await ctx.lookup(username))?.[hash];
    known = stored !== undefined;
    cred = stored ?? decoyCredential(hash, username);
    serverFirst = `r=${nonce},s=${cred.salt},i=${cred.iterations}`;
    return { challenge: Buffer.from(serverFirst, 'utf8') };
  }

  function clientFinal(msg: string): SaslStep {
    // client-final-message = channel-binding "," nonce ["," extensions] "," proof
    const attrs = attributes(msg);
    const [c, r] = attrs;
    const p = attrs.at(-1)!;
    if (attrs.length < 3 || c?.[0] !== 'c' || r?.[0] !== 'r' || p[0] !== 'p') throw malformed();
    if (!p[1] || !BASE64.test(p[1]) || !BASE64.test(c[1])) throw new SaslFailure('incorrect-encoding');
    // c= carries the gs2 header and the binding data: comparing it to what we expect both binds
    // the exchange to this TLS channel and stops a relay from changing the gs2 flag (RFC 5802 §6).
    if (c[1] !== cbindInput) throw new SaslFailure('not-authorized', 'channel binding mismatch');
    if (r[1] !== nonce) throw new SaslFailure('not-authorized', 'nonce mismatch');

    // RFC 5802 §3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); H(ClientKey) must be StoredKey.
    const withoutProof = msg.slice(0, msg.lastIndexOf(','));
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const storedKey = Buffer.from(cred.storedKey, 'base64');
    const signature = hmac(hash, storedKey, authMessage);
    const proof = Buffer.from(p[1], 'base64');
    const clientKey = Buffer.alloc(hashSize(hash));
    for (let i = 0; i < clientKey.length; i++) clientKey[i] = (proof[i] ?? 0) ^ signature[i]!;
    const valid = sameBytes(digest(hash, clientKey), storedKey) && proof.length === clientKey.length;
    // Same error, same text, same work for a wrong password and an unknown user.
    if (!valid || !known) throw new SaslFailure('not-authorized');

    const serverSignature = hmac(hash, Buffer.from(cred.serverKey, 'base64'), authMessage);
    return { done: { username, authzid, additionalData: Buffer.from(`v=${serverSignature.toString('base64')}`) } };
  }

  return {
    name,
    async step(input) {
      const current = state;
      // Any failure ends the exchange; only a fresh mechanism instance may try again.
      state = 'over';
      let msg: string;
      try {
        msg = utf8.decode(input);
      } catch {
        throw malformed('not UTF-8');
      }
      if (current === 'first') {
        const out = await clientFirst(msg);
        state = 'final';
        return out;
      }
      if (current === 'final') return clientFinal(msg);
      throw malformed('the exchange is over');
    },
  };
}
