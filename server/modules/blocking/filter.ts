/**
 * What happens to stanzas between a user and a JID the user blocks (XEP-0191 §3.3):
 * - outbound (the user sends to a blocked JID): not routed; the user gets <not-acceptable/> with
 *   <blocked xmlns='urn:xmpp:blocking:errors'/>; errors and results are dropped;
 * - inbound (a blocked JID sends to the user): presence of every type is dropped without an answer;
 *   messages get <service-unavailable/> (the same answer as for an account that does not exist, so
 *   the sender learns nothing); IQ get/set get <service-unavailable/>; IQ results and errors, and
 *   message errors, are dropped;
 * - what the server sends for the user (presence broadcasts, probe answers, PEP notifications)
 *   never reaches a blocked JID; only errors (the answers above) do.
 */
import type { Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { HANDLED, type HookResult, type StanzaEvent } from '../../core/events.js';
import type { Jid } from '../../core/jid.js';
import { errorReply, mustNotBounce } from '../../core/stanza.js';

export const NS_BLOCKING = 'urn:xmpp:blocking';
export const NS_BLOCKING_ERRORS = 'urn:xmpp:blocking:errors';

type Check = (username: string, jid: Jid) => boolean | Promise<boolean>;
type Result = HookResult | Promise<HookResult>;

const then = (v: boolean | Promise<boolean>, f: (b: boolean) => HookResult): Result =>
  typeof v === 'boolean' ? f(v) : v.then(f);

export function blockedError(): StanzaError {
  return new StanzaError('not-acceptable', undefined, 'cancel', { name: 'blocked', xmlns: NS_BLOCKING_ERRORS });
}

/** Sender's side: `pre-<kind>/*` of a local client. */
export function outbound(host: string, isBlocked: Check) {
  return ({ stanza, to, origin }: StanzaEvent): Result => {
    if (!origin?.username) return undefined;
    // The user's own server and account are never blocked, or a user blocking its domain could not undo it.
    if (to.domain === host && (to.local === '' || to.local === origin.username)) return undefined;
    return then(isBlocked(origin.username, to), (blocked) => {
      if (!blocked) return undefined;
      // Answered straight to the session: an error "from" the blocked JID would itself be filtered.
      if (!mustNotBounce(stanza)) origin.send(errorReply(stanza, blockedError()));
      return HANDLED;
    });
  };
}

/** Receiver's side: `<kind>/bare|full` for a local user. `exempt`: stanzas this module itself sends. */
export function inbound(host: string, isBlocked: Check, senderBlocks: (from: Jid, to: Jid) => boolean | Promise<boolean>, exempt: WeakSet<Element>) {
  return ({ stanza, kind, from, to }: StanzaEvent): Result => {
    if (!to.local || exempt.has(stanza)) return undefined;
    // The user's own account and server always get through (the answer to an IQ to the server, say).
    if (from.domain === host && (from.local === '' || from.local === to.local)) return undefined;
    const refuse = (blocked: boolean): HookResult => {
      if (!blocked) return undefined;
      if (kind === 'presence' || mustNotBounce(stanza)) return HANDLED;
      if (kind === 'message' && stanza.attrs.type === 'groupchat') return HANDLED;
      throw new StanzaError('service-unavailable');
    };
    const r = isBlocked(to.local, from);
    // What the server sends on behalf of a local user who blocks this recipient (presence
    // broadcasts, probe answers, PEP notifications) is dropped too. Errors pass: they are the
    // answers the blocker's server gives to the blocked sender.
    if (stanza.attrs.type === 'error') return then(r, refuse);
    const decide = (b: boolean): Result => (b ? refuse(true) : then(senderBlocks(from, to), (s) => (s ? HANDLED : undefined)));
    return typeof r === 'boolean' ? decide(r) : r.then(decide);
  };
}
