/**
 * XEP-0202 §3: the time as XEP-0082 DateTime in UTC, and the offset. The server reports UTC with a
 * +00:00 offset: its local time zone is of no use to anyone and would only reveal where it runs.
 */
import xml, { type Element } from '@xmpp/xml';

export const NS_TIME = 'urn:xmpp:time';

/** XEP-0082 DateTime, UTC, whole seconds (fractions are optional and add nothing here). */
export function utcDateTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function timeElement(now: Date): Element {
  return xml('time', { xmlns: NS_TIME }, xml('tzo', {}, '+00:00'), xml('utc', {}, utcDateTime(now)));
}
