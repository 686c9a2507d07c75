/** XEP-0030 payloads: disco#info (§3.1) and disco#items (§4.1) query elements, node mirrored (§3.2, §4.2). */
import xml, { type Element } from '@xmpp/xml';
import type { DiscoInfo } from '../../core/events.js';

export const NS_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_ITEMS = 'http://jabber.org/protocol/disco#items';

export const emptyInfo = (): DiscoInfo => ({ identities: [], features: [], extensions: [] });

/** A node nobody described: nothing to say about it, so it does not exist (§3.2 item-not-found). */
export function isEmpty(info: DiscoInfo): boolean {
  return info.identities.length === 0 && info.features.length === 0;
}

export function infoElement(info: DiscoInfo, node?: string): Element {
  const q = xml('query', node === undefined ? { xmlns: NS_INFO } : { xmlns: NS_INFO, node });
  const seen = new Set<string>();
  for (const i of info.identities) {
    // §3.1: an identity appears once per category+type (and language).
    const key = `${i.category}/${i.type}`;
    if (seen.has(key)) continue;
    seen.add(key);
    q.append(xml('identity', i.name ? { category: i.category, type: i.type, name: i.name } : { category: i.category, type: i.type }));
  }
  for (const f of [...new Set(info.features)].sort()) q.append(xml('feature', { var: f }));
  for (const e of info.extensions) q.append(e);
  return q;
}

export function itemsElement(items: readonly Element[], node?: string): Element {
  return xml('query', node === undefined ? { xmlns: NS_ITEMS } : { xmlns: NS_ITEMS, node }, ...items);
}
