/**
 * `tern cpim decode|encode`: the gateway's translation as a filter, for debugging interop.
 * decode: message/cpim on stdin → the XMPP stanza the gateway would deliver (RFC 3922 §4.2).
 * encode: one XMPP message stanza on stdin → the message/cpim document (RFC 3922 §4.1).
 */
import { parseElement } from '../../server/core/stanza.js';
import { CpimError, parseCpim, serializeCpim } from './codec.js';
import { cpimToMessage, MappingError, messageToCpim } from './mapping.js';

export interface CpimCliIo {
  stdin: Buffer;
  out: (b: Buffer | string) => void;
  err: (s: string) => void;
  now?: Date;
}

/** Returns the exit code: 0 done, 1 the input was refused (reason on stderr), 2 usage. */
export function cpimCommand(sub: string | undefined, io: CpimCliIo): number {
  try {
    if (sub === 'decode') {
      io.out(`${cpimToMessage(parseCpim(io.stdin)).toString()}\n`);
      return 0;
    }
    if (sub === 'encode') {
      const stanza = parseElement(io.stdin.toString('utf8').trim());
      if (!stanza) {
        io.err('tern: stdin is not one well-formed XML element\n');
        return 1;
      }
      const now = io.now ?? new Date();
      const { doc, dropped } = messageToCpim(stanza, { now: () => now });
      io.out(serializeCpim(doc));
      if (dropped.length) io.err(`dropped: ${dropped.join('; ')}\n`);
      return 0;
    }
  } catch (e) {
    if (e instanceof CpimError) {
      io.err(`tern: invalid message/cpim: ${e.message}\n`);
      return 1;
    }
    if (e instanceof MappingError) {
      io.err(`tern: ${e.condition} (SIP ${e.sipStatus}): ${e.text}\n`);
      return 1;
    }
    throw e;
  }
  return 2;
}
