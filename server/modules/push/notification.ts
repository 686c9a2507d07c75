/**
 * XEP-0357 §7 (publishing notifications) as pure functions: which messages warrant one, the
 * publish IQ, and what an app server's answer means for the registration (§7.1 publish errors).
 */
import { type Element, Parser } from '@xmpp/xml';
import { NS_STANZAS, StanzaError } from '../../core/errors.js';
import { xml } from '../../core/stanza.js';
import { NS_DATA, NS_PUSH, type Registration } from './registrations.js';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const FORM_SUMMARY = 'urn:xmpp:push:summary';

/** Payloads of end-to-end encrypted messages, which often carry no (or a placeholder) body. */
const ENCRYPTED: ReadonlyArray<readonly [string, string]> = [
  ['encrypted', 'eu.siacs.conversations.axolotl'], // OMEMO (legacy namespace, Conversations)
  ['encrypted', 'urn:xmpp:omemo:2'], // XEP-0384
  ['openpgp', 'urn:xmpp:openpgp:0'], // XEP-0373
  ['x', 'jabber:x:encrypted'], // XEP-0027
];

/**
 * Whether a message is worth waking a device for: §7 leaves "an event warranting a push
 * notification" to the server. We take what a person would want to see: a message with a
 * non-empty body or an encrypted payload. Chat states, receipts and markers alone would wake the
 * phone for nothing (Prosody's mod_cloud_notify draws the same line for its "important" pushes);
 * errors and headlines never do.
 */
export function warrantsNotification(stanza: Element): boolean {
  const type = stanza.attrs.type as string | undefined;
  if (type === 'error' || type === 'headline') return false;
  const body = stanza.getChildText('body');
  if (body !== null && body.trim() !== '') return true;
  return ENCRYPTED.some(([name, ns]) => stanza.getChild(name, ns) !== undefined);
}

/** The urn:xmpp:push:summary fields (§7, §10.3). */
export interface Summary {
  /** Messages for the user since a device of theirs was last online. */
  count: number;
  sender?: string;
  body?: string;
}

function field(name: string, value: string): Element {
  return xml('field', { var: name }, xml('value', {}, value));
}

/** The stored publish-options form, parsed back; undefined if the text is not one element. */
export function parseOptions(text: string): Element | undefined {
  const parser = new Parser();
  let out: Element | undefined;
  let ok = true;
  parser.on('element', (el: Element) => { if (out) ok = false; out = el; });
  parser.on('error', () => { ok = false; });
  try {
    parser.write(`<o>${text}</o>`);
  } catch {
    return undefined;
  }
  return ok ? out : undefined;
}

/**
 * The §7 publish: from the user's bare JID (as in the XEP's examples; an app server "MAY opt to
 * only accept ... publish requests from bare JIDs"), the summary form in the item, and the
 * publish-options given at enable time as <publish-options/>, a sibling of <publish/> (XEP-0060
 * §7.1.5).
 */
export function publishIq(opts: { id: string; from: string; reg: Registration; summary: Summary }): Element {
  const { reg, summary } = opts;
  const form = xml('x', { xmlns: NS_DATA, type: 'form' }, field('FORM_TYPE', FORM_SUMMARY), field('message-count', String(summary.count)));
  if (summary.sender !== undefined) form.append(field('last-message-sender', summary.sender));
  if (summary.body !== undefined) form.append(field('last-message-body', summary.body));
  const pubsub = xml('pubsub', { xmlns: NS_PUBSUB },
    xml('publish', { node: reg.node }, xml('item', {}, xml('notification', { xmlns: NS_PUSH }, form))));
  const options = reg.options !== undefined ? parseOptions(reg.options) : undefined;
  if (options) pubsub.append(xml('publish-options', {}, options));
  return xml('iq', { type: 'set', id: opts.id, from: opts.from, to: reg.jid }, pubsub);
}

/**
 * What a failed publish means for the registration (§7.1: an IQ error SHOULD disable it; a server
 * MAY keep it for transient errors):
 * - 'disable': an error of type cancel, auth or modify (the node is gone, we are not allowed, or
 *   the request is unacceptable: sending it again cannot succeed; Conversations' app server answers
 *   item-not-found when the device has unregistered);
 * - 'transient': type wait (or continue): try again with the next message;
 * - 'timeout': no answer in time; the caller disables after several in a row;
 * - 'ignore': the server is shutting down, or the error came from someone other than the app server.
 */
export type Outcome = 'disable' | 'transient' | 'timeout' | 'ignore';

export function classifyFailure(err: unknown, appServer: string): Outcome {
  if (err instanceof StanzaError) return err.condition === 'remote-server-timeout' ? 'timeout' : 'ignore';
  const stanza = (err as { stanza?: Element } | null)?.stanza;
  if (!stanza) return 'ignore';
  // Our own server answers for an unreachable app server (service-unavailable for an unknown local
  // account, remote-server-not-found); both come from the app server's address, so they count.
  if (stanza.attrs.from !== appServer) return 'ignore';
  const type = stanza.getChild('error')?.attrs.type as string | undefined;
  return type === 'wait' || type === 'continue' ? 'transient' : 'disable';
}

/** The condition of an error stanza, for logs. */
export function errorConditionOf(stanza: Element | undefined): string | undefined {
  const e = stanza?.getChild('error');
  return e?.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS_STANZAS)?.name;
}
