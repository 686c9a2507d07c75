/** RFC 4505 ANONYMOUS, server side: trace handling and the stream-supplied identity. */
import assert from 'node:assert/strict';
import { SaslFailure } from '../errors.js';
import { createAnonymous } from './anonymous.js';
import type { SaslContext } from './mechanism.js';

const ctx = (anonymous?: () => Promise<string>): SaslContext => ({
  lookup: async () => undefined, channelBindingTypes: [], plusAdvertised: false, ...(anonymous ? { anonymous } : {}),
});
const condition = (c: string) => (err: unknown) => err instanceof SaslFailure && err.condition === c;

describe('SASL ANONYMOUS (RFC 4505)', () => {
  it('succeeds with or without trace information, as the identity the stream made up', async () => {
    for (const trace of ['', 'sirhc@example.com', 'é'.repeat(255)]) {
      const m = createAnonymous(ctx(async () => 'abc123'));
      const step = await m.step(Buffer.from(trace));
      assert.deepEqual(step.done, { username: 'abc123', anonymous: true });
    }
  });

  it('refuses trace information over 255 characters or not UTF-8 (§3), and a second message', async () => {
    await assert.rejects(createAnonymous(ctx(async () => 'x')).step(Buffer.from('a'.repeat(256))), condition('malformed-request'));
    await assert.rejects(createAnonymous(ctx(async () => 'x')).step(Buffer.from([0xff, 0xfe])), condition('malformed-request'));
    const m = createAnonymous(ctx(async () => 'x'));
    await m.step(Buffer.alloc(0));
    await assert.rejects(m.step(Buffer.alloc(0)), condition('malformed-request'));
  });

  it('is an invalid mechanism where the stream supplies no anonymous identity', async () => {
    await assert.rejects(createAnonymous(ctx()).step(Buffer.alloc(0)), condition('invalid-mechanism'));
  });
});
