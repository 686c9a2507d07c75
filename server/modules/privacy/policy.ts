/**
 * Who may send a user messages, and what a refused message gets (settings.ts says the choices).
 * Always let through, whatever the setting: the user's own account, servers and components (a
 * JID without a localpart: server notices, this module's own notices), groupchat messages (a room
 * the user joined) and errors (refusing an error could only start an error loop).
 *
 * The notice (seed 5.6 alternative flow, step 8) is a normal message from the server, so that it is
 * stored offline when the user is not online (RFC 6121 §8.5.2.2.1 stores normal, not headline,
 * messages). It names the sender's bare JID in its body and in an element a client can read:
 *   <attempted-contact xmlns='urn:x-tern:privacy:0' jid='bettybopp@example.com'/>
 * At most one notice per sender and user per NOTICE_WINDOW_MS, so a refused sender cannot flood.
 */
import type { Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { HANDLED, type HookResult, type StanzaEvent } from '../../core/events.js';
import type { Jid } from '../../core/jid.js';
import { newId, xml } from '../../core/stanza.js';
import { NS_PRIVACY, type PrivacySettings } from './settings.js';

export const NOTICE_WINDOW_MS = 60_000;
const MAX_NOTICE_KEYS = 10_000;

export interface PolicyDeps {
  host: string;
  settings(username: string): PrivacySettings | Promise<PrivacySettings>;
  /** Whether `contact` (a bare JID) is on the user's roster, in any subscription state. */
  isContact(username: string, contact: string): Promise<boolean>;
  sendNotice(stanza: Element): void;
  /** Messages this module itself let through after its own checks (anonymous deliveries). */
  checked: WeakSet<Element>;
  now?: () => number;
}

export function noticeFor(host: string, username: string, sender: string): Element {
  return xml('message', { from: host, to: `${username}@${host}`, type: 'normal', id: newId() },
    xml('subject', {}, 'Attempted contact'),
    xml('body', {}, `attempted contact from ${sender}`),
    xml('attempted-contact', { xmlns: NS_PRIVACY, jid: sender }));
}

/** Whether the policy lets `from` message the user; `contact` is asked only when it matters. */
export async function accepts(s: PrivacySettings, contact: () => Promise<boolean>): Promise<boolean> {
  if (s.messages === 'everyone') return true;
  if (s.messages === 'nobody') return false;
  return contact();
}

export function exempt(host: string, stanza: Element, from: Jid, to: Jid): boolean {
  const type = stanza.attrs.type;
  if (type === 'error' || type === 'groupchat') return true;
  if (!from.local) return true;
  return from.local === to.local && from.domain === host;
}

export function createPolicy(d: PolicyDeps) {
  const now = d.now ?? Date.now;
  const lastNotice = new Map<string, number>();
  const mayNotify = (key: string): boolean => {
    const t = now();
    const last = lastNotice.get(key);
    if (last !== undefined && t - last < NOTICE_WINDOW_MS) return false;
    lastNotice.delete(key);
    lastNotice.set(key, t);
    if (lastNotice.size > MAX_NOTICE_KEYS) lastNotice.delete(lastNotice.keys().next().value as string);
    return true;
  };

  const refuse = (s: PrivacySettings, stanza: Element, username: string, sender: string): HookResult => {
    if (s.refused === 'drop') return HANDLED;
    if (s.refused === 'notify' && stanza.getChild('body') && mayNotify(`${username} ${sender}`)) d.sendNotice(noticeFor(d.host, username, sender));
    throw new StanzaError('service-unavailable');
  };

  return {
    /** `message/bare|full` on the recipient's host. */
    inbound({ stanza, from, to }: StanzaEvent): HookResult | Promise<HookResult> {
      if (!to.local || d.checked.has(stanza) || exempt(d.host, stanza, from, to)) return undefined;
      const user = to.local;
      const sender = from.bareString;
      const decide = async (s: PrivacySettings): Promise<HookResult> => {
        if (await accepts(s, () => d.isContact(user, sender))) return undefined;
        return refuse(s, stanza, user, sender);
      };
      const s = d.settings(user);
      // The common case (everyone) stays synchronous.
      if (!(s instanceof Promise) && s.messages === 'everyone') return undefined;
      return s instanceof Promise ? s.then(decide) : decide(s);
    },
  };
}
