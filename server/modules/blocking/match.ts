/**
 * JID matching for block list items (XEP-0191 §3 defers to XEP-0016 §2.1, "JID matching"), from the
 * most to the least specific form of the item:
 *   user@domain/resource  only that full JID
 *   user@domain           that bare JID and every full JID of it
 *   domain/resource       only that domain with that resource
 *   domain                the domain itself and every JID at it (users, resources, the server)
 */
import { Jid } from '../../core/jid.js';

export function itemMatches(item: Jid, jid: Jid): boolean {
  if (item.domain !== jid.domain) return false;
  if (item.local) {
    if (item.local !== jid.local) return false;
    return !item.resource || item.resource === jid.resource;
  }
  if (item.resource) return jid.local === '' && item.resource === jid.resource;
  return true;
}

export function anyMatches(items: readonly Jid[], jid: Jid): boolean {
  for (const item of items) if (itemMatches(item, jid)) return true;
  return false;
}

/** Prepared item JIDs of a block or unblock request; a JID that cannot be prepared is jid-malformed (§3.3). */
export function parseItems(raw: readonly (string | undefined)[]): Jid[] | undefined {
  const out: Jid[] = [];
  for (const r of raw) {
    const j = r ? Jid.tryParse(r) : undefined;
    if (!j) return undefined;
    out.push(j);
  }
  return out;
}
