/**
 * XEP-0352 Client State Indication 1.0.0.
 *
 * §4.1 the <csi/> stream feature after authentication; §4.2 <active/> and <inactive/> as
 * stream-level elements of a bound stream, never answered. §3.2 what the server does with the
 * state is its own choice; Tern's policy (policy.ts, the queue in held.ts):
 * - while inactive, presence updates (available/unavailable) and chat-state-only messages
 *   (XEP-0085) are held and coalesced, the latest per sender full JID; receipts (XEP-0184
 *   <received/>), chat markers (XEP-0333) and other body-less messages made only of hints and ids
 *   are held as they are;
 * - everything else is urgent: IQs, errors, messages with a body or subject, encrypted messages
 *   (OMEMO, OpenPGP), invitations, subscription requests, MUC self-presence, and whatever the
 *   policy does not recognise. An urgent stanza first releases the held ones, in their order, then
 *   goes out itself, so the client never sees a message before the presence that preceded it;
 * - the queue is released whole when it exceeds `csi.max_held_stanzas` or `csi.max_held_bytes`;
 *   nothing is ever dropped, only delayed or superseded by a newer version from the same sender;
 * - <active/> releases the queue and removes the filter (§4.2); both elements are idempotent.
 *
 * §5.1 in-order processing: the nonza is handled synchronously, so what it releases is written
 * before the reply to anything the client sent after it. §5.2: the state is not restored on
 * stream resumption (XEP-0198): when the connection is lost, the queue is released into the
 * session's resumption queue and the session is active again.
 *
 * Invalid elements: the XEP defines only <active/> and <inactive/> from the client (§4.2, §9 schema)
 * and no error reply. Content inside them is ignored (the schema says empty; being liberal costs
 * nothing). Any other element in urn:xmpp:csi:0 is left unhandled, so the core ends the stream
 * with unsupported-stanza-type, as for any unknown first-level element (RFC 6120 §4.9.3.23).
 * §6: the state is never revealed to other entities. XEP-0386 §3.2: a Bind 2 request may carry
 * <active/> or <inactive/>, and the session begins in that state.
 */
import type { Element } from '@xmpp/xml';
import { HANDLED } from '../../core/events.js';
import { defineModule } from '../../core/module.js';
import type { Session } from '../../core/sessions.js';
import { xml } from '../../core/stanza.js';
import { HeldQueue } from './held.js';

export const NS_CSI = 'urn:xmpp:csi:0';
const HELD = Symbol('csi held');

export default defineModule({
  name: 'csi',
  xeps: [{ number: 352, version: '1.0.0', status: 'complete', note: 'holds and coalesces presence and chat states, holds receipts and markers while inactive' }],
  options: (host) => ({ maxStanzas: host.csi.max_held_stanzas, maxBytes: host.csi.max_held_bytes }),
  setup(ctx) {
    ctx.fold('stream/features', (features, f) => (f.authenticated ? [...features, xml('csi', { xmlns: NS_CSI })] : features));

    const activate = (session: Session) => {
      const held = session.state.get(HELD) as HeldQueue | undefined;
      if (!held) return;
      session.state.delete(HELD);
      if (session.outboundFilter === held.filter) session.outboundFilter = undefined;
      held.flush();
    };
    const deactivate = (session: Session) => {
      if (session.state.has(HELD)) return;
      const held = new HeldQueue(session, ctx.options);
      session.state.set(HELD, held);
      session.outboundFilter = held.filter;
    };

    const toggle = ({ session, element }: { session: Session; element: Element }) => {
      if (element.attrs.xmlns !== NS_CSI) return undefined;
      if (element.name === 'active') activate(session);
      else if (element.name === 'inactive') deactivate(session);
      else return undefined;
      return HANDLED;
    };
    ctx.hook('stream/nonza', toggle);
    ctx.fold('bind2/features', (vars) => [...vars, NS_CSI]);
    ctx.hook('bind2/inline', toggle);

    // The state belongs to the stream (§5.2), which is gone: what was held goes to the queue
    // XEP-0198 keeps for the resumption (or offline storage), and nothing more is held.
    ctx.hook('session/hibernated', ({ session }) => { activate(session); });
    ctx.hook('session/resumed', ({ session }) => { activate(session); });
    ctx.hook('session/closed', ({ session }) => {
      const held = session.state.get(HELD) as HeldQueue | undefined;
      session.state.delete(HELD);
      held?.discard();
    });
  },
});
