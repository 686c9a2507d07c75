/**
 * SendMessages (WSI-5/8/9/10/11/12/36, Appendix B §7.4): one request carries one or more messages,
 * each to one or more recipients; every (message, recipient) pair gets its own status, so one bad
 * recipient never fails the others.
 *
 * Request body (JSON):
 *   { "messages": [ { "to": ["xmpp:bob@b2.example", "tel:+447700900123"], "contentType": "text/plain",
 *                     "body": "text, or base64 for other types", "subject": "optional" } ],
 *     "waitMs": 0 }
 * Addressing (WSI-11): `xmpp:` / `im:` URIs and bare JIDs; `tel:` and +E.164 numbers through the
 * msisdn service when it is loaded; `sip:`/`sips:` URIs through the host's SIP/CPIM gateway (its
 * `sip-gateway` service: user%domain@<gateway>, RFC 7247 §5.1) when it runs, where the message
 * leaves as a SIP MESSAGE with a message/cpim body; without a gateway they are feature-not-implemented,
 * a URI without a user part or not making a JID is jid-malformed.
 *
 * Content (WSI-12/36): text/plain becomes <body/>. Any other type, when it is larger than
 * wsi.inline_max_bytes and the host has the upload service, is stored there as the inbox's file
 * (XEP-0363's limits and quota) and sent as an XEP-0066 out-of-band URL whose <body/> is the URL
 * itself (the text fallback, which clients such as Conversations display inline); smaller content,
 * or without the upload service, is carried as <wsi-content xmlns='urn:tern:wsi:0' type='…'>
 * base64</wsi-content> plus a <body/> text fallback naming the type (a Tern-specific element).
 *
 * Status: the message is routed from the inbox's full JID <inbox>@<host>/wsi with a unique id; an
 * error that comes back to that id (local refusals come back at once; a remote server's after a
 * round trip, waited for up to `waitMs`; a SIP recipient's final SIP error, mapped by the gateway
 * per RFC 7247 §6, likewise) is the recipient's status, else "accepted".
 */
import type { Element } from '@xmpp/xml';
import { Jid } from '../../server/core/jid.js';
import { xml } from '../../server/core/stanza.js';

export const WSI_NS = 'urn:tern:wsi:0';

export class BadRequest extends Error {
  constructor(readonly field: string, message: string) { super(message); }
}

export interface OutMessage { to: string[]; contentType: string; body: string; subject?: string }
export interface SendRequest { messages: OutMessage[]; waitMs: number }

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(\s*;.*)?$/i;

/** Checks the shape of a SendMessages body; throws BadRequest naming the field. */
export function parseSendRequest(body: unknown, limits: { maxRecipients: number; maxWaitMs: number }): SendRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('body', 'the body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw new BadRequest('messages', 'messages must be a non-empty array');
  let recipients = 0;
  const messages = b.messages.map((m: unknown, i): OutMessage => {
    const f = `messages[${i}]`;
    if (typeof m !== 'object' || m === null) throw new BadRequest(f, `${f} must be an object`);
    const o = m as Record<string, unknown>;
    const to = typeof o.to === 'string' ? [o.to] : o.to;
    if (!Array.isArray(to) || to.length === 0 || !to.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 3071)) {
      throw new BadRequest(`${f}.to`, `${f}.to must be a recipient or a non-empty array of them`);
    }
    recipients += to.length;
    const contentType = o.contentType === undefined ? 'text/plain' : o.contentType;
    if (typeof contentType !== 'string' || !MEDIA_TYPE.test(contentType)) throw new BadRequest(`${f}.contentType`, `${f}.contentType must be a media type`);
    if (typeof o.body !== 'string') throw new BadRequest(`${f}.body`, `${f}.body must be a string`);
    if (!isText(contentType) && !/^[A-Za-z0-9+/]*={0,2}$/.test(o.body)) throw new BadRequest(`${f}.body`, `${f}.body must be base64 for ${contentType}`);
    if (o.subject !== undefined && typeof o.subject !== 'string') throw new BadRequest(`${f}.subject`, `${f}.subject must be a string`);
    const out: OutMessage = { to: to as string[], contentType, body: o.body };
    if (typeof o.subject === 'string') out.subject = o.subject;
    return out;
  });
  if (recipients > limits.maxRecipients) throw new BadRequest('messages', `at most ${limits.maxRecipients} recipients per request`);
  let waitMs = 0;
  if (b.waitMs !== undefined) {
    if (typeof b.waitMs !== 'number' || !Number.isInteger(b.waitMs) || b.waitMs < 0) throw new BadRequest('waitMs', 'waitMs must be a non-negative integer');
    waitMs = Math.min(b.waitMs, limits.maxWaitMs);
  }
  return { messages, waitMs };
}

export function isText(contentType: string): boolean {
  return /^text\/plain\s*(;|$)/i.test(contentType);
}

/** Recipient-based addressing (WSI-11): the JID a recipient address stands for, or why not. */
export async function resolveRecipient(
  addr: string,
  msisdn?: { normalise(s: string): string | undefined; lookup(e164: string): Promise<Jid | undefined> },
  sip?: { jidFor(uri: string): Jid | undefined },
): Promise<Jid | { condition: string }> {
  let a = addr.trim();
  if (/^sips?:/i.test(a)) {
    if (!sip) return { condition: 'feature-not-implemented' };
    return sip.jidFor(a.replace(/^sips?/i, (s) => s.toLowerCase())) ?? { condition: 'jid-malformed' };
  }
  const tel = /^tel:/i.test(a) ? a.slice(4) : /^\+[0-9 ()-]+$/.test(a) ? a : undefined;
  if (tel !== undefined) {
    if (!msisdn) return { condition: 'feature-not-implemented' };
    const e164 = msisdn.normalise(tel.split(';')[0]!);
    if (!e164) return { condition: 'jid-malformed' };
    return (await msisdn.lookup(e164)) ?? { condition: 'item-not-found' };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(a)?.[1]?.toLowerCase();
  if (scheme === 'xmpp' || scheme === 'im') {
    a = a.slice(scheme.length + 1).replace(/^\/\//, '').split('?')[0]!;
    try { a = decodeURIComponent(a); } catch { return { condition: 'jid-malformed' }; }
  } else if (scheme !== undefined && !a.includes('@')) {
    return { condition: 'feature-not-implemented' };
  } else if (scheme !== undefined) {
    return { condition: 'feature-not-implemented' };
  }
  const jid = Jid.tryParse(a);
  if (!jid || !jid.local) return { condition: 'jid-malformed' };
  return jid;
}

export const NS_OOB = 'jabber:x:oob';

/** A name for uploaded content: the message's index and an extension from the media subtype. */
export function fileNameFor(m: OutMessage, index: number): string {
  const sub = /\/([a-z0-9]{1,10})(?:[+;\s]|$)/i.exec(m.contentType)?.[1]?.toLowerCase() ?? 'bin';
  return `message-${index}.${sub}`;
}

/** The XMPP message for one recipient; `url` when the content was uploaded. */
export function buildMessage(m: OutMessage, from: string, to: string, id: string, url?: string): Element {
  const msg = xml('message', { type: 'chat', from, to, id });
  if (m.subject !== undefined) msg.append(xml('subject', {}, m.subject));
  if (url !== undefined) {
    msg.append(xml('body', {}, url));
    msg.append(xml('x', { xmlns: NS_OOB }, xml('url', {}, url), xml('desc', {}, `${m.contentType}, ${Buffer.from(m.body, 'base64').length} bytes`)));
  } else if (isText(m.contentType)) {
    msg.append(xml('body', {}, m.body));
  } else {
    const bytes = Buffer.from(m.body, 'base64').length;
    msg.append(xml('body', {}, `[${m.contentType} content, ${bytes} bytes]`));
    msg.append(xml('wsi-content', { xmlns: WSI_NS, type: m.contentType }, m.body));
  }
  return msg;
}
