/**
 * XEP-0012 Last Activity answers: the server's uptime (§5) and, for an account, the seconds since
 * its last session ended with the status of its last unavailable presence (§4) — 0 while it has
 * an available resource.
 */
import xml, { type Element } from '@xmpp/xml';

export const NS_LAST = 'jabber:iq:last';

export interface LastLogout {
  /** Milliseconds since the epoch. */
  time: number;
  status: string;
}

export function secondsSince(then: number, now: number): number {
  return Math.max(0, Math.floor((now - then) / 1000));
}

export function lastElement(seconds: number, status?: string): Element {
  const q = xml('query', { xmlns: NS_LAST, seconds: String(seconds) });
  if (status) q.append(status);
  return q;
}
