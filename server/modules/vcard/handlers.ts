/**
 * The vcard-temp IQs, XEP-0054 §3:
 *   §3.1 get own (no 'to' or own bare JID): the vCard, or an empty <vCard/> if none is stored
 *        (the XEP allows either an empty result or item-not-found; clients handle the empty one best).
 *   §3.2 set own: the whole vCard replaces the old one; on another user's JID → forbidden.
 *   §3.3 get another user's (bare JID, answered by the server): the vCard; when the account has
 *        none or does not exist → service-unavailable, the same condition for both so that a
 *        stranger cannot probe which accounts exist (RFC 6121 §8.5.1 answers IQs to missing accounts so).
 * Size: a vCard over `maxBytes` (its XML, UTF-8) → not-acceptable, the text naming the limit.
 */
import { StanzaError } from '../../core/errors.js';
import type { IqRequest } from '../../core/iq.js';
import { emptyVcard, validate } from './codec.js';
import type { Vcards } from './vcards.js';

export interface HandlerDeps {
  host: string;
  vcards: Vcards;
  maxBytes: number;
}

const isOwn = (req: IqRequest): boolean => req.from.domain === req.to.domain && req.from.local === req.to.local && req.origin !== undefined;

export function vcardHandlers(d: HandlerDeps) {
  return {
    async get(req: IqRequest) {
      const own = isOwn(req);
      const username = req.to.local;
      const vcard = await d.vcards.get(username);
      if (vcard) return vcard;
      if (own) return emptyVcard();
      throw new StanzaError('service-unavailable');
    },

    async set(req: IqRequest) {
      if (!isOwn(req)) throw new StanzaError('forbidden', 'only the owner may change a vCard');
      const size = Buffer.byteLength(req.payload.toString(), 'utf8');
      if (size > d.maxBytes) throw new StanzaError('not-acceptable', `the vCard is ${size} bytes; the limit is ${d.maxBytes} bytes`);
      const photo = validate(req.payload);
      await d.vcards.set(req.from.local, req.payload, photo);
      return true as const;
    },
  };
}
