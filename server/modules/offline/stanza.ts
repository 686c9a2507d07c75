/**
 * Stored form of an offline message: the stanza as sent, plus a XEP-0203 delay stamp saying when
 * the server took it (XEP-0160 §2 recommends one), serialised as XML text.
 */
import { type Element, Parser } from '@xmpp/xml';
import { withAttrs, xml } from '../../core/stanza.js';

export const NS_DELAY = 'urn:xmpp:delay';

/** A copy of `stanza` with `<delay from=domain stamp=…Z/>`; the caller's stanza is left untouched. */
export function stamped(stanza: Element, domain: string, when: number): Element {
  const copy = withAttrs(stanza, {});
  // XEP-0082 DateTime in UTC; the milliseconds keep messages stored in one second apart.
  copy.append(xml('delay', { xmlns: NS_DELAY, from: domain, stamp: new Date(when).toISOString() }, 'Offline Storage'));
  return copy;
}

/** The stanza back from its stored text; undefined if the text is not one well-formed element. */
export function parseStored(text: string): Element | undefined {
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
