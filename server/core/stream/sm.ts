/**
 * XEP-0198 Stream Management (1.6.2), the parts independent of the socket:
 *   §4   acknowledgements: both sides count the stanzas they have handled, as an unsigned 32-bit
 *        number that wraps (§4: "h MUST be reset to 0 when it reaches 2^32 - 1"... treated mod 2^32);
 *        the server keeps every stanza it sent until the client's <a h/> covers it;
 *   §5   resumption: a resumable session gets an id; after the connection is lost it waits
 *        ("hibernates") for a <resume previd h/> on a new stream, up to the resumption timeout.
 * The stream (c2s.ts) drives these; what happens to stanzas never acknowledged is decided there.
 */
import type { Element } from '@xmpp/xml';

export const NS_SM = 'urn:xmpp:sm:3';

/** The numbers of §4 are unsigned 32-bit and wrap around. */
const wrap = (n: number): number => n >>> 0;

export interface Unacked { stanza: Element; at: number }

/** Outbound stanzas sent since the last acknowledgement, and the counter the client acknowledges. */
export class OutboundQueue {
  private items: Unacked[] = [];
  private head = 0;
  /** h of the last acknowledgement received. */
  private acked = 0;

  get length(): number { return this.items.length - this.head; }
  /** Stanzas sent since enabling, mod 2^32 (what the client's h counts towards). */
  get sent(): number { return wrap(this.acked + this.length); }

  push(stanza: Element, at: number): void {
    this.items.push({ stanza, at });
  }

  /**
   * The client handled `h` stanzas in all. Returns false when h acknowledges more than was sent
   * (§4: handled-count-too-high); nothing is dropped then.
   */
  ack(h: number): boolean {
    const n = wrap(h - this.acked);
    if (n > this.length) return false;
    this.head += n;
    this.acked = wrap(h);
    // Compact only now and then: shifting on every ack is quadratic for long queues.
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  /** What is still unacknowledged, oldest first. */
  pending(): Unacked[] {
    return this.items.slice(this.head);
  }

  /** Takes everything out (the session is over). */
  drain(): Unacked[] {
    const out = this.pending();
    this.items = [];
    this.head = 0;
    return out;
  }
}

/** Parses an h attribute: a decimal unsigned 32-bit integer. */
export function parseH(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,10}$/.test(v)) return undefined;
  const n = Number(v);
  return n <= 0xffffffff ? n : undefined;
}

/** The sessions that can be resumed, by id; one registry for all listeners of a server. */
export class ResumptionRegistry<S extends { readonly username?: string; readonly host: string }> {
  private readonly byId = new Map<string, S>();
  private readonly settling = new Set<Promise<unknown>>();

  add(id: string, s: S): void { this.byId.set(id, s); }
  get(id: string): S | undefined { return this.byId.get(id); }
  delete(id: string, s: S): void { if (this.byId.get(id) === s) this.byId.delete(id); }
  get size(): number { return this.byId.size; }
  sessions(): S[] { return [...this.byId.values()]; }

  /** Work that must finish before storage closes (unacknowledged messages going to offline storage). */
  track(p: Promise<unknown>): void {
    this.settling.add(p);
    p.finally(() => this.settling.delete(p)).catch(() => {});
  }

  async settled(): Promise<void> {
    while (this.settling.size) await Promise.allSettled([...this.settling]);
  }
}
