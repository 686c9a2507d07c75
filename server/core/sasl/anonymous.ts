/**
 * ANONYMOUS (RFC 4505): the client sends optional trace information (§2: an email address or an
 * opaque token, at most 255 UTF-8 characters, here only checked and logged by nobody) and the
 * server makes up the identity. The stream supplies it (SaslContext.anonymous): a fresh random
 * localpart that is no account (XEP-0175 §3). Whether the mechanism is offered at all is the
 * stream's decision (per host, off by default, only over TLS).
 */
import { SaslFailure } from '../errors.js';
import type { SaslContext, SaslMechanism } from './mechanism.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** RFC 4505 §3: trace = 1*255TCHAR, in characters, not octets. */
const MAX_TRACE_CHARS = 255;

export function createAnonymous(ctx: SaslContext): SaslMechanism {
  let used = false;
  return {
    name: 'ANONYMOUS',
    async step(input) {
      if (used) throw new SaslFailure('malformed-request', 'the exchange is over');
      used = true;
      let trace: string;
      try {
        trace = utf8.decode(input);
      } catch {
        throw new SaslFailure('malformed-request', 'trace information is not UTF-8');
      }
      if ([...trace].length > MAX_TRACE_CHARS) throw new SaslFailure('malformed-request', 'trace information longer than 255 characters');
      if (!ctx.anonymous) throw new SaslFailure('invalid-mechanism');
      const username = await ctx.anonymous();
      return { done: { username, anonymous: true } };
    },
  };
}
