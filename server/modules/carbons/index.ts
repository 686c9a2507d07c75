/**
 * XEP-0280 Message Carbons: every Carbons-enabled resource of a user sees both sides of its
 * conversations. §4/§5 enable and disable per session, §6 eligibility (eligible.ts), §7 received
 * copies to enabled resources that did not get the original, §8 sent copies to the sender's other
 * enabled resources, §9 <private/> suppresses both.
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { HANDLED, type HookResult, Priority, type StanzaEvent } from '../../core/events.js';
import { defineModule } from '../../core/module.js';
import type { Session } from '../../core/sessions.js';
import { withAttrs } from '../../core/stanza.js';
import { eligible, NS_CARBONS } from './eligible.js';

const NS_FORWARD = 'urn:xmpp:forward:0';
const ENABLED = Symbol('carbons enabled');

function copy(kind: 'sent' | 'received', original: Element, to: Session): Element {
  const attrs: Record<string, string> = { from: to.jid!.bareString, to: to.jid!.toString() };
  if (original.attrs.type) attrs.type = original.attrs.type;
  // The forwarded stanza keeps its own namespace inside <forwarded/> (XEP-0297).
  const inner = withAttrs(original, { xmlns: 'jabber:client' });
  return xml('message', attrs, xml(kind, { xmlns: NS_CARBONS }, xml('forwarded', { xmlns: NS_FORWARD }, inner)));
}

export default defineModule({
  name: 'carbons',
  xeps: [{ number: 280, version: '1.0.1', status: 'complete', note: 'the <private/> element is passed on to the recipient' }],
  setup(ctx) {
    ctx.features.add(NS_CARBONS);

    const toggle = (on: boolean) => ({ origin }: { origin?: Session }) => {
      // §4.1/§5.1: only a client hosted here can switch its own carbons.
      if (!origin) throw new StanzaError('not-allowed');
      if (on) origin.state.set(ENABLED, true);
      else origin.state.delete(ENABLED);
      return true as const;
    };
    ctx.iq.set(NS_CARBONS, 'enable', toggle(true), 'self');
    ctx.iq.set(NS_CARBONS, 'disable', toggle(false), 'self');
    ctx.fold('bind2/features', (vars) => [...vars, NS_CARBONS]);
    ctx.hook('bind2/inline', ({ session, element }) => {
      if (element.attrs.xmlns !== NS_CARBONS || element.name !== 'enable') return;
      session.state.set(ENABLED, true);
      return HANDLED;
    });

    const sent = ({ stanza, origin }: StanzaEvent): HookResult => {
      if (!origin?.username || !eligible(stanza)) return;
      for (const s of ctx.sessions.sessionsOf(origin.username)) {
        if (s !== origin && s.state.has(ENABLED)) s.send(copy('sent', stanza, s));
      }
    };
    // Noted before delivery; never consumes the stanza.
    ctx.hook('pre-message/full', sent, Priority.Intercept);
    ctx.hook('pre-message/bare', sent, Priority.Intercept);
    ctx.hook('pre-message/host', sent, Priority.Intercept);

    ctx.hook('message/delivered', ({ stanza, username, sessions }) => {
      if (!eligible(stanza)) return;
      for (const s of ctx.sessions.sessionsOf(username)) {
        if (s.state.has(ENABLED) && !sessions.includes(s)) s.send(copy('received', stanza, s));
      }
    });
  },
});
