/**
 * Server Dialback keys (XEP-0220 §2.1.1 and §4.3, generated as XEP-0185 §3 recommends):
 *   key = HEX( HMAC-SHA256( HEX(SHA256(secret)), receiving + ' ' + originating + ' ' + stream id ) )
 * (the hex form of the hashed secret is the HMAC key, as the XEP's worked example in §3 shows).
 * The secret is random per process start, so nothing has to be stored and a key from an earlier
 * run, or for another stream or domain pair, is simply not valid.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export class DialbackKeys {
  private readonly hashedSecret: string;

  constructor(secret: Buffer | string = randomBytes(32)) {
    this.hashedSecret = createHash('sha256').update(secret).digest('hex');
  }

  /** The key the originating server sends in <db:result/> on a stream the receiving server gave `streamId`. */
  key(receiving: string, originating: string, streamId: string): string {
    return createHmac('sha256', this.hashedSecret).update(`${receiving} ${originating} ${streamId}`).digest('hex');
  }

  /** Answers a <db:verify/>: whether we issued `key` for this pair and stream. */
  verify(receiving: string, originating: string, streamId: string, key: string): boolean {
    const expected = Buffer.from(this.key(receiving, originating, streamId));
    const got = Buffer.from(key.trim());
    return got.length === expected.length && timingSafeEqual(got, expected);
  }
}
