/**
 * XEP-0359 §3 (stanza-id stamped by the archiving entity, 'by' = the archive's address, here the
 * user's bare JID) and §5 (an entity that stamps stanza-ids MUST remove any a sender put in with
 * its own address as 'by': a client could otherwise plant a fake archive id).
 *
 * Stamping never mutates the caller's stanza: it returns a copy with a new child list; the other
 * children are shared and treated as read-only.
 */
import type { Element } from '@xmpp/xml';
import { withAttrs, xml } from '../../core/stanza.js';

export const NS_SID = 'urn:xmpp:sid:0';

function isOurs(c: Element | string, by: string): boolean {
  return typeof c !== 'string' && c.name === 'stanza-id' && c.attrs.xmlns === NS_SID && sameJid(c.attrs.by, by);
}

/** 'by' compared as a JID string, case-insensitively: a spoofer must not slip past with 'Alice@Localhost'. */
function sameJid(a: string | undefined, b: string): boolean {
  return typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
}

export function hasSpoofed(m: Element, by: string): boolean {
  return m.children.some((c) => isOurs(c, by));
}

/** A copy without stanza-ids claiming to be by `by`; the stanza itself when it has none. */
export function stripSpoofed(m: Element, by: string): Element {
  if (!hasSpoofed(m, by)) return m;
  const copy = withAttrs(m, {});
  copy.children = m.children.filter((c) => !isOurs(c, by));
  return copy;
}

/** A copy with spoofed stanza-ids removed and ours added. */
export function stamp(m: Element, by: string, id: string): Element {
  const copy = withAttrs(m, {});
  copy.children = m.children.filter((c) => !isOurs(c, by));
  copy.append(xml('stanza-id', { xmlns: NS_SID, by, id }));
  return copy;
}
