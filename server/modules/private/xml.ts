import { type Element, Parser } from '@xmpp/xml';

/** One stored element back from its string form. */
export function parseFragment(s: string): Element {
  let out: Element | undefined;
  const p = new Parser();
  p.on('element', (el: Element) => { out = el; });
  p.write(`<r>${s}</r>`);
  if (!out) throw new Error('stored fragment did not parse');
  return out;
}
