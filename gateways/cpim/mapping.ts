/**
 * RFC 3922 (XMPP ⇄ CPIM) mapping, both ways.
 *
 * §3 addresses: a JID maps to `im:` (messages) or `pres:` (presence) URIs. The resource is removed
 * (CPIM has no resources); the localpart is unescaped from XEP-0106 (`\26` → `&`) and then
 * percent-encoded where a character is not RFC 2822 atext or '.' (plus '%' and '?', which the URI
 * needs); the domain is given in its ASCII form. Back: percent-decoding, then the characters an
 * XMPP localpart cannot hold (`"&'/:<>@` and space) become XEP-0106 escapes, so `im:o'hara@x`
 * is `o\27hara@x`.
 * §4 messages: from/to → From/To; subject (with xml:lang) → Subject (;lang=); body → content
 * `text/plain; charset=utf-8`; the gateway adds DateTime (injected clock) and a Content-ID it mints
 * (a stanza id is not globally unique, so it is dropped, as are `type`, `<thread>`, resources and
 * extension elements — listed in `dropped`). XEP-0184 receipt requests ⇄ IMDN (RFC 5438 §5.1,
 * §6.2) `positive-delivery`; XEP-0184 receipts ⇄ IMDN delivery notifications (`delivered`).
 * CPIM → XMPP: a `Require` naming a header the gateway does not understand refuses the message
 * (feature-not-implemented; SIP 488). Only text/plain lands in `<body/>`; any other inner type is
 * carried as `<cpim-attachment xmlns='urn:tern:cpim:0' type=… content-id=…>` with the content in
 * base64, so clients that do not know it show nothing rather than markup.
 * §5 presence ⇄ PIDF (RFC 3863): available → `<basic>open</basic>`, unavailable → closed,
 * `<status/>` ⇄ `<note/>` (with xml:lang); `<show/>` has no PIDF core equivalent and is dropped.
 */
import { domainToASCII } from 'node:url';
import { TextDecoder } from 'node:util';
import { StanzaError, type StanzaErrorCondition } from '../../server/core/errors.js';
import { Jid, JidError } from '../../server/core/jid.js';
import { childElements, type Element, parseElement, xml } from '../../server/core/stanza.js';
import { contentType, type CpimDocument, type CpimHeader, CPIM_CORE_NS, decodeValue, encodeValue, formatAddress, headersIn, parseAddress, unknownRequired } from './codec.js';

export const NS_IMDN = 'urn:ietf:params:imdn';
export const NS_IMDN_XML = 'urn:ietf:params:xml:ns:imdn';
export const NS_RECEIPTS = 'urn:xmpp:receipts';
export const NS_ATTACHMENT = 'urn:tern:cpim:0';
export const NS_PIDF = 'urn:ietf:params:xml:ns:pidf';

/** A mapping failure: the XMPP condition, and the SIP status RFC 7572/7247 give for it. */
export class MappingError extends StanzaError {
  constructor(condition: StanzaErrorCondition, text: string, readonly sipStatus: number) {
    super(condition, text);
    this.name = 'MappingError';
  }
}

const XEP106: Array<[string, string]> = [['\\', '\\5c'], [' ', '\\20'], ['"', '\\22'], ['&', '\\26'], ["'", '\\27'], ['/', '\\2f'], [':', '\\3a'], ['<', '\\3c'], ['>', '\\3e'], ['@', '\\40']];
const UNESCAPE = new Map(XEP106.map(([c, e]) => [e, c]));

/** XEP-0106 §4.3 unescaping (only the ten defined sequences; anything else stays as is). */
export function unescapeLocal(s: string): string {
  return s.replace(/\\(20|22|26|27|2f|3a|3c|3e|40|5c)/gi, (m) => UNESCAPE.get(m.toLowerCase()) ?? m);
}

/** XEP-0106 §4.2 escaping; a backslash is escaped only where it would read as an escape. */
export function escapeLocal(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') out += /^(20|22|26|27|2f|3a|3c|3e|40|5c)/i.test(s.slice(i + 1, i + 3)) ? '\\5c' : '\\';
    else out += XEP106.find(([ch]) => ch === c)?.[1] ?? c;
  }
  return out;
}

const ATEXT = /[A-Za-z0-9!#$&'*+\-/=^_`{|}~.]/;

export function jidToUri(jid: Jid, scheme: 'im' | 'pres' = 'im'): string {
  const domain = domainToASCII(jid.domain) || jid.domain;
  if (!jid.local) return `${scheme}:${domain}`;
  let local = '';
  for (const ch of unescapeLocal(jid.local)) {
    local += ATEXT.test(ch) ? ch : [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return `${scheme}:${local}@${domain}`;
}

export function uriToJid(uri: string): Jid {
  const m = /^(im|pres|xmpp|sip|sips):(?:([^@?;]+)@)?([^@?;/]+)$/i.exec(uri);
  if (!m) throw new MappingError('jid-malformed', `${uri} is not an im:, pres: or sip: address`, 400);
  let local: string;
  try {
    local = m[2] === undefined ? '' : decodeURIComponent(m[2]);
  } catch {
    throw new MappingError('jid-malformed', `bad percent-encoding in ${uri}`, 400);
  }
  try {
    return Jid.of(escapeLocal(local), m[3]!);
  } catch (err) {
    if (err instanceof JidError) throw new MappingError('jid-malformed', `${uri} has no XMPP equivalent: ${err.message}`, 400);
    throw err;
  }
}

function text(el: Element): string {
  return el.children.filter((c): c is string => typeof c === 'string').join('');
}

export interface ToCpimOptions {
  now: () => Date;
  /** A globally unique Content-ID for this message (without <>), or undefined for none. */
  contentId?: () => string | undefined;
  /** A display name for an address (a roster name, a nickname). */
  displayName?: (jid: Jid) => string | undefined;
  /** The URI to use for an address (default jidToUri(jid, 'im')); the SIP gateway gives `sip:`-side addresses. */
  address?: (jid: Jid) => string;
  /** An IMDN Message-ID for receipts (default: the stanza id). */
  messageId?: () => string;
}

export interface ToCpimResult { doc: CpimDocument; dropped: string[] }

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function addressHeader(name: string, jid: Jid, o: ToCpimOptions): CpimHeader {
  return { name, params: [], value: formatAddress(o.address ? o.address(jid) : jidToUri(jid, 'im'), o.displayName?.(jid)) };
}

/** RFC 3922 §4.1: a message stanza as a CPIM document. */
export function messageToCpim(stanza: Element, o: ToCpimOptions): ToCpimResult {
  if (stanza.name !== 'message') throw new MappingError('bad-request', 'not a message stanza', 400);
  const from = Jid.tryParse(stanza.attrs.from);
  const to = Jid.tryParse(stanza.attrs.to);
  if (!from || !to) throw new MappingError('jid-malformed', 'message needs from and to', 400);
  const dropped: string[] = [];
  if (from.resource) dropped.push('from resource');
  if (to.resource) dropped.push('to resource');
  if (stanza.attrs.type) dropped.push(`type '${stanza.attrs.type}'`);
  if (stanza.attrs.id) dropped.push('id (not globally unique)');
  const headers: CpimHeader[] = [addressHeader('From', from, o), addressHeader('To', to, o), { name: 'DateTime', params: [], value: iso(o.now()) }];
  let body: Element | undefined;
  let receiptRequest = false;
  let received: string | undefined;
  for (const c of childElements(stanza)) {
    const ns = c.attrs.xmlns;
    if (c.name === 'subject' && ns === undefined) {
      const lang = c.attrs['xml:lang'];
      headers.push({ name: 'Subject', params: lang ? [{ name: 'lang', value: lang }] : [], value: encodeValue(text(c)) });
    } else if (c.name === 'body' && ns === undefined) {
      if (!body || (body.attrs['xml:lang'] && !c.attrs['xml:lang'])) {
        if (body) dropped.push(`body xml:lang='${body.attrs['xml:lang']}'`);
        body = c;
      } else {
        dropped.push(`body xml:lang='${c.attrs['xml:lang'] ?? ''}'`);
      }
    } else if (c.name === 'thread' && ns === undefined) {
      dropped.push('thread');
    } else if (c.name === 'request' && ns === NS_RECEIPTS) {
      receiptRequest = true;
    } else if (c.name === 'received' && ns === NS_RECEIPTS && c.attrs.id) {
      received = c.attrs.id;
    } else {
      dropped.push(`<${c.name} xmlns='${ns ?? ''}'>`);
    }
  }
  const contentHeaders: Array<{ name: string; value: string }> = [];
  let content: Buffer;
  if (received !== undefined) {
    // RFC 5438 §7.2.1.1 / §9: a delivery notification answers the request's Message-ID.
    headers.push({ name: 'NS', params: [], value: `imdn <${NS_IMDN}>` }, { name: 'Message-ID', prefix: 'imdn', params: [], value: encodeValue(o.messageId?.() ?? stanza.attrs.id ?? received) });
    contentHeaders.push({ name: 'Content-type', value: 'message/imdn+xml' }, { name: 'Content-Disposition', value: 'notification' });
    const doc = xml('imdn', { xmlns: NS_IMDN_XML }, xml('message-id', {}, received), xml('datetime', {}, iso(o.now())),
      xml('delivery-notification', {}, xml('status', {}, xml('delivered'))));
    content = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\r\n${doc.toString()}`, 'utf8');
    if (body) dropped.push('body of a receipt');
  } else {
    if (receiptRequest) {
      const id = stanza.attrs.id;
      if (id) {
        headers.push({ name: 'NS', params: [], value: `imdn <${NS_IMDN}>` }, { name: 'Message-ID', prefix: 'imdn', params: [], value: encodeValue(id) },
          { name: 'Disposition-Notification', prefix: 'imdn', params: [], value: 'positive-delivery' });
      } else {
        dropped.push('receipt request without id (XEP-0184 §6)');
      }
    }
    contentHeaders.push({ name: 'Content-type', value: 'text/plain; charset=utf-8' });
    content = Buffer.from(body ? text(body) : '', 'utf8');
  }
  const cid = o.contentId?.();
  if (cid) contentHeaders.push({ name: 'Content-ID', value: `<${cid}>` });
  return { doc: { headers, contentHeaders, content }, dropped };
}

export interface FromCpimOptions {
  /** Overrides for the addresses (the SIP layer knows them from the request). */
  from?: Jid;
  to?: Jid;
  /** Header names understood beyond the core and imdn ones, as `namespaceURI name`. */
  understood?: Set<string>;
  /** An id when the document carries neither imdn.Message-ID nor Content-ID. */
  id?: () => string;
}

const UNDERSTOOD = new Set(['From', 'To', 'cc', 'DateTime', 'Subject', 'NS', 'Require'].map((n) => `${CPIM_CORE_NS} ${n}`)
  .concat(['Message-ID', 'Disposition-Notification'].map((n) => `${NS_IMDN} ${n}`)));

function addressOf(doc: CpimDocument, name: string): Jid | undefined {
  const h = doc.headers.find((x) => x.prefix === undefined && x.name === name);
  if (!h) return undefined;
  return uriToJid(parseAddress(h.value)!.uri);
}

/** RFC 3922 §4.2: a CPIM document as a message stanza; throws MappingError. */
export function cpimToMessage(doc: CpimDocument, o: FromCpimOptions = {}): Element {
  const unknown = unknownRequired(doc, o.understood ? new Set([...UNDERSTOOD, ...o.understood]) : UNDERSTOOD);
  if (unknown.length) throw new MappingError('feature-not-implemented', `Require lists headers this gateway does not understand: ${unknown.join(', ')}`, 488);
  const from = o.from ?? addressOf(doc, 'From');
  const to = o.to ?? addressOf(doc, 'To');
  if (!from || !to) throw new MappingError('bad-request', 'CPIM message without From or To', 400);
  const imdnId = headersIn(doc, NS_IMDN, 'Message-ID')[0];
  const cidRaw = doc.contentHeaders.find((h) => h.name.toLowerCase() === 'content-id')?.value;
  const cid = cidRaw ? /^<(.+)>$/.exec(cidRaw)?.[1] : undefined;
  const id = imdnId ? decodeValue(imdnId.value) : cid ?? o.id?.();
  const msg = xml('message', { from: from.toString(), to: to.toString(), ...(id ? { id } : {}) });
  for (const h of doc.headers) {
    if (h.prefix !== undefined || h.name !== 'Subject') continue;
    const lang = h.params.find((p) => p.name === 'lang')?.value;
    msg.append(xml('subject', lang ? { 'xml:lang': lang } : {}, decodeValue(h.value)));
  }
  const ct = contentType(doc);
  if (ct.type === 'text/plain') {
    msg.append(xml('body', {}, decodeText(doc.content, ct.charset)));
  } else if (ct.type === 'message/imdn+xml') {
    const receipt = imdnToReceipt(doc.content);
    if (receipt) msg.append(receipt);
  } else {
    msg.append(xml('cpim-attachment', { xmlns: NS_ATTACHMENT, type: contentHeaderRaw(doc, 'content-type') ?? ct.type, ...(cid ? { 'content-id': cid } : {}), encoding: 'base64' }, doc.content.toString('base64')));
  }
  const dn = headersIn(doc, NS_IMDN, 'Disposition-Notification')[0];
  if (dn && id && decodeValue(dn.value).split(',').some((v) => v.trim() === 'positive-delivery')) msg.append(xml('request', { xmlns: NS_RECEIPTS }));
  return msg;
}

function contentHeaderRaw(doc: CpimDocument, name: string): string | undefined {
  return doc.contentHeaders.find((h) => h.name.toLowerCase() === name)?.value;
}

export function decodeText(content: Buffer, charset = 'utf-8'): string {
  let dec: TextDecoder;
  try {
    dec = new TextDecoder(charset, { fatal: true });
  } catch {
    throw new MappingError('bad-request', `unsupported charset ${charset}`, 415);
  }
  try {
    return dec.decode(content);
  } catch {
    throw new MappingError('bad-request', `content is not valid ${charset}`, 400);
  }
}

/** RFC 5438 §7.2.1.1: a `delivered` delivery notification → an XEP-0184 <received/>. */
function imdnToReceipt(content: Buffer): Element | undefined {
  const root = parseElement(content.toString('utf8').replace(/^<\?xml[^>]*\?>\s*/, ''));
  if (!root || root.name !== 'imdn' || root.attrs.xmlns !== NS_IMDN_XML) throw new MappingError('bad-request', 'message/imdn+xml content is not an IMDN document', 400);
  const mid = root.getChild('message-id');
  const status = root.getChild('delivery-notification')?.getChild('status');
  if (!mid || !status?.getChild('delivered')) return undefined;
  return xml('received', { xmlns: NS_RECEIPTS, id: text(mid) });
}

/** RFC 3922 §5.1 / RFC 3863: an XMPP presence as a PIDF document. */
export function presenceToPidf(stanza: Element, o: { address?: (jid: Jid) => string } = {}): string {
  const from = Jid.tryParse(stanza.attrs.from);
  if (!from) throw new MappingError('jid-malformed', 'presence needs from', 400);
  const open = stanza.attrs.type !== 'unavailable';
  const tupleId = from.resource ? `r${Buffer.from(from.resource).toString('hex')}` : 'xmpp';
  const tuple = xml('tuple', { id: tupleId }, xml('status', {}, xml('basic', {}, open ? 'open' : 'closed')));
  for (const s of stanza.getChildren('status')) {
    const lang = s.attrs['xml:lang'];
    tuple.append(xml('note', lang ? { 'xml:lang': lang } : {}, text(s)));
  }
  const doc = xml('presence', { xmlns: NS_PIDF, entity: o.address ? o.address(from.bare) : jidToUri(from.bare, 'pres') }, tuple);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${doc.toString()}`;
}

/** RFC 3922 §5.2: a PIDF document as an XMPP presence (available if any tuple is open). */
export function pidfToPresence(pidf: string, from: Jid, to: Jid): Element {
  const root = parseElement(pidf.replace(/^<\?xml[^>]*\?>\s*/, ''));
  if (!root || root.name !== 'presence' || root.attrs.xmlns !== NS_PIDF) throw new MappingError('bad-request', 'not a PIDF document', 400);
  const tuples = root.getChildren('tuple');
  const open = tuples.some((t) => text(t.getChild('status')?.getChild('basic') ?? xml('x')).trim() === 'open');
  const p = xml('presence', { from: from.toString(), to: to.toString(), ...(open ? {} : { type: 'unavailable' }) });
  const notes = [...tuples.flatMap((t) => t.getChildren('note')), ...root.getChildren('note')];
  for (const n of notes) p.append(xml('status', n.attrs['xml:lang'] ? { 'xml:lang': n.attrs['xml:lang'] } : {}, text(n)));
  return p;
}
