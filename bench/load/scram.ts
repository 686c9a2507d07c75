/**
 * The client side of SCRAM-SHA-1 (RFC 5802 §3, §5, §7) without channel binding (gs2 header "n,,"),
 * for the load generator. Passwords are ASCII here, so SASLprep is the identity. The salted
 * password is cached per (password, salt, iterations), as §5.1 allows a client to do: a server
 * that keeps a stable salt per account (Tern) costs the generator one PBKDF2 per account, one
 * that salts afresh per login (a plaintext-storing server) one per login.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const salted = new Map<string, Buffer>();

const hmac = (key: Buffer, data: string): Buffer => createHmac('sha1', key).update(data).digest();

function saltedPassword(password: string, salt: string, iterations: number): Buffer {
  const key = `${iterations}\0${salt}\0${password}`;
  let s = salted.get(key);
  if (!s) {
    s = pbkdf2Sync(password, Buffer.from(salt, 'base64'), iterations, 20, 'sha1');
    salted.set(key, s);
  }
  return s;
}

function fields(msg: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of msg.split(',')) if (part.length >= 2 && part[1] === '=') m.set(part[0]!, part.slice(2));
  return m;
}

export class ScramSha1Client {
  private readonly nonce = randomBytes(18).toString('base64');
  private readonly firstBare: string;
  private serverSignature?: Buffer;

  constructor(username: string, private readonly password: string) {
    this.firstBare = `n=${username.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.nonce}`;
  }

  /** The initial response (base64) for `<auth mechanism='SCRAM-SHA-1'>`. */
  first(): string {
    return Buffer.from(`n,,${this.firstBare}`).toString('base64');
  }

  /** The client-final-message (base64) answering the server's challenge (base64). */
  final(challengeB64: string): string {
    const serverFirst = Buffer.from(challengeB64, 'base64').toString();
    const f = fields(serverFirst);
    const r = f.get('r'), s = f.get('s'), i = Number(f.get('i'));
    if (!r || !s || !Number.isInteger(i) || i < 1) throw new Error(`bad server-first-message: ${serverFirst}`);
    if (!r.startsWith(this.nonce)) throw new Error('server nonce does not extend ours');
    const withoutProof = `c=biws,r=${r}`;
    const authMessage = `${this.firstBare},${serverFirst},${withoutProof}`;
    const sp = saltedPassword(this.password, s, i);
    const clientKey = hmac(sp, 'Client Key');
    const storedKey = createHash('sha1').update(clientKey).digest();
    const signature = createHmac('sha1', storedKey).update(authMessage).digest();
    const proof = Buffer.alloc(clientKey.length);
    for (let k = 0; k < proof.length; k++) proof[k] = clientKey[k]! ^ signature[k]!;
    this.serverSignature = createHmac('sha1', hmac(sp, 'Server Key')).update(authMessage).digest();
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`).toString('base64');
  }

  /** Checks the server's `v=` (from <success/>'s text, base64) — RFC 5802 §3 mutual authentication. */
  verify(successB64: string): boolean {
    const v = fields(Buffer.from(successB64, 'base64').toString()).get('v');
    if (!v || !this.serverSignature) return false;
    const got = Buffer.from(v, 'base64');
    return got.length === this.serverSignature.length && timingSafeEqual(got, this.serverSignature);
  }
}
