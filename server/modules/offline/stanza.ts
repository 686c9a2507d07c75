/**
 * Stored form of an offline message: the stanza as sent, plus a XEP-0203 delay stamp saying when
 * the server took it (XEP-0160 §2 recommends one), serialised as XML text.
 *
 * XEP-0023 (jabber:x:expire): the storing mechanism records the storage time in the 'stored'
 * attribute (§3, Unix seconds) and drops the message once 'seconds' have passed since. On
 * delivery, 'seconds' becomes the time left and 'stored' is removed (as jabberd's mod_offline,
 * where the protocol comes from, did), so a client that honours the TTL counts from receipt.
 */
import type { Element } from '@xmpp/xml';
import { withAttrs, xml } from '../../core/stanza.js';

export const NS_DELAY = 'urn:xmpp:delay';
export const NS_EXPIRE = 'jabber:x:expire';

const isExpire = (c: Element | string): c is Element => typeof c !== 'string' && c.name === 'x' && c.attrs.xmlns === NS_EXPIRE;

function seconds(x: Element): number | undefined {
  const s = String(x.attrs.seconds ?? '');
  return /^\d{1,12}$/.test(s) ? Number(s) : undefined;
}

/**
 * A copy of `stanza` with `<delay from=domain stamp=…Z/>` and, on a valid jabber:x:expire,
 * 'stored'; the caller's stanza is left untouched.
 */
export function stamped(stanza: Element, domain: string, when: number): Element {
  const copy = withAttrs(stanza, {});
  copy.children = copy.children.map((c) => (isExpire(c) && seconds(c) !== undefined
    ? withAttrs(c, { stored: String(Math.floor(when / 1000)) }) : c));
  // XEP-0082 DateTime in UTC; the milliseconds keep messages stored in one second apart.
  copy.append(xml('delay', { xmlns: NS_DELAY, from: domain, stamp: new Date(when).toISOString() }, 'Offline Storage'));
  return copy;
}

/** When a stamped message's jabber:x:expire TTL runs out, if it has one. */
export function expireDeadline(stored: Element): number | undefined {
  const x = stored.children.find(isExpire);
  if (!x) return undefined;
  const ttl = seconds(x);
  const at = /^\d{1,12}$/.test(String(x.attrs.stored ?? '')) ? Number(x.attrs.stored) : undefined;
  return ttl === undefined || at === undefined ? undefined : (at + ttl) * 1000;
}

/**
 * The stored message as delivered at `now`: jabber:x:expire 'seconds' reduced by the whole
 * seconds spent stored, 'stored' removed; undefined once the TTL has run out (XEP-0023 §3).
 */
export function forDelivery(stored: Element, now: number): Element | undefined {
  const x = stored.children.find(isExpire);
  if (!x) return stored;
  const ttl = seconds(x);
  const at = /^\d{1,12}$/.test(String(x.attrs.stored ?? '')) ? Number(x.attrs.stored) : undefined;
  if (ttl === undefined || at === undefined) return stored;
  const left = ttl - (Math.floor(now / 1000) - at);
  if (left <= 0) return undefined;
  const copy = withAttrs(stored, {});
  copy.children = copy.children.map((c) => (c === x ? withAttrs(x, { seconds: String(left), stored: undefined }) : c));
  return copy;
}

/** When this server stored the message (its own delay stamp), if it can tell. */
export function storedAt(stored: Element, domain: string): number | undefined {
  const d = stored.getChildren('delay', NS_DELAY).find((e) => e.attrs.from === domain);
  const t = d ? Date.parse(String(d.attrs.stamp)) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

