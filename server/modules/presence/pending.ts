/**
 * Subscription requests the user has not answered ("Pending In", RFC 6121 §3.1.3): kept durably,
 * because the contact's server must deliver them whenever the user next becomes available, and
 * again at each later login, until the user approves or denies.
 */
import { Element, Parser } from '@xmpp/xml';
import type { MapStore } from '../../../storage/types.js';

export interface PendingRecord {
  /** The request as received, with 'from' and 'to' normalised to bare JIDs. */
  stanza: string;
  /** When it arrived (ms since the epoch), for the XEP-0203 delay stamp on later deliveries. */
  when: number;
}

export interface PendingRequest { contact: string; stanza: Element; when: number }

/** Stored stanzas were serialised by us; a parse failure means a damaged record, which is skipped. */
function parse(s: string): Element | undefined {
  const got: { el?: Element; failed?: boolean } = {};
  const p = new Parser();
  p.on('element', (el: Element) => { got.el ??= el; });
  p.on('error', () => { got.failed = true; });
  try {
    p.write(`<r>${s}</r>`);
  } catch {
    return undefined;
  }
  return !got.failed && got.el instanceof Element ? got.el : undefined;
}

export class PendingRequests {
  constructor(private readonly store: MapStore<PendingRecord>, private readonly maxPerUser: number) {}

  async has(username: string, contact: string): Promise<boolean> {
    return (await this.store.get(username, contact)) !== undefined;
  }

  /** False when the user already has as many unanswered requests as we keep (a flood is dropped). */
  async add(username: string, contact: string, stanza: Element): Promise<boolean> {
    const all = await this.store.all(username);
    if (!all.has(contact) && all.size >= this.maxPerUser) return false;
    await this.store.set(username, contact, { stanza: stanza.toString(), when: Date.now() });
    return true;
  }

  async delete(username: string, contact: string): Promise<void> {
    await this.store.set(username, contact, undefined);
  }

  async all(username: string): Promise<PendingRequest[]> {
    const out: PendingRequest[] = [];
    for (const [contact, rec] of await this.store.all(username)) {
      const stanza = rec && typeof rec.stanza === 'string' ? parse(rec.stanza) : undefined;
      if (stanza) out.push({ contact, stanza, when: rec.when });
    }
    return out.sort((a, b) => a.when - b.when);
  }

  deleteUser(username: string): Promise<void> {
    return this.store.deleteUser(username);
  }
}
