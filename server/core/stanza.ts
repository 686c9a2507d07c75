/**
 * Small stanza helpers shared by the router and modules: replies and error replies
 * (RFC 6120 §8.3: an error stanza swaps 'from' and 'to', keeps the id, carries <error/>).
 */
import xml, { Element, Parser } from '@xmpp/xml';
import { NS_STANZAS, StanzaError } from './errors.js';

export { Element, xml };

export function errorElement(err: StanzaError): Element {
  const e = xml('error', { type: err.type }, xml(err.condition, { xmlns: NS_STANZAS }));
  if (err.text) e.append(xml('text', { xmlns: NS_STANZAS, 'xml:lang': 'en' }, err.text));
  if (err.appCondition) e.append(xml(err.appCondition.name, { xmlns: err.appCondition.xmlns, ...err.appCondition.attrs }));
  return e;
}

/** The error reply to a stanza, without the original payload (RFC 6120 §8.3.1 lets us omit it). */
export function errorReply(stanza: Element, err: StanzaError): Element {
  const attrs: Record<string, string> = { type: 'error' };
  if (stanza.attrs.to) attrs.from = stanza.attrs.to;
  if (stanza.attrs.from) attrs.to = stanza.attrs.from;
  if (stanza.attrs.id) attrs.id = stanza.attrs.id;
  return xml(stanza.name, attrs, errorElement(err));
}

/** An IQ result to an IQ request, optionally with one child. */
export function iqResult(iq: Element, child?: Element): Element {
  const attrs: Record<string, string> = { type: 'result', id: iq.attrs.id };
  if (iq.attrs.to) attrs.from = iq.attrs.to;
  if (iq.attrs.from) attrs.to = iq.attrs.from;
  const r = xml('iq', attrs);
  if (child) r.append(child);
  return r;
}

/** Stanzas that must never be answered with an error (RFC 6120 §8.3.1: avoid error loops). */
export function mustNotBounce(stanza: Element): boolean {
  const type = stanza.attrs.type;
  return type === 'error' || (stanza.name === 'iq' && type === 'result');
}

/** First child element, the payload of an IQ. */
export function iqPayload(iq: Element): Element | undefined {
  for (const c of iq.children) if (typeof c !== 'string') return c;
  return undefined;
}

export function childElements(el: Element): Element[] {
  const out: Element[] = [];
  for (const c of el.children) if (typeof c !== 'string') out.push(c);
  return out;
}

let idCounter = 0;
const idPrefix = Math.random().toString(36).slice(2, 8);
export function newId(): string {
  return `${idPrefix}${(idCounter++).toString(36)}`;
}

/** A copy for stamping: attributes and the child list are new; child elements are shared, so treat them as read-only. */
export function withAttrs(stanza: Element, attrs: Record<string, string | undefined>): Element {
  const copy = new Element(stanza.name, { ...stanza.attrs });
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) delete copy.attrs[k];
    else copy.attrs[k] = v;
  }
  copy.children = stanza.children.slice();
  return copy;
}

/** One element back from its serialised text (stored messages); undefined unless the text is exactly one well-formed element. */
export function parseElement(text: string): Element | undefined {
  const parser = new Parser();
  let out: Element | undefined;
  let failed = false;
  parser.on('element', (el: Element) => {
    if (out) failed = true;
    out = el;
  });
  parser.on('error', () => { failed = true; });
  try {
    // The parser wants a document: the wrapper plays the stream's part.
    parser.write(`<stored>${text}</stored>`);
  } catch {
    return undefined;
  }
  return failed ? undefined : out;
}
