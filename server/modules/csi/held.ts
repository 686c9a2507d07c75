/**
 * The per-session queue of what an inactive client is not sent yet. Insertion order is release
 * order; a coalesced stanza that is replaced moves to the end (its newest version is the one that
 * counts, and it happened last). Bounded by stanza count and bytes: over either bound, everything
 * held is released, never dropped.
 */
import type { Element } from '@xmpp/xml';
import type { Session } from '../../core/sessions.js';
import { classify } from './policy.js';

export interface HeldLimits { maxStanzas: number; maxBytes: number }

export interface HeldStats { held: number; coalesced: number; flushes: number }

export class HeldQueue {
  private readonly items = new Map<string | number, { stanza: Element; bytes: number }>();
  private seq = 0;
  private bytes = 0;
  readonly stats: HeldStats = { held: 0, coalesced: 0, flushes: 0 };

  constructor(private readonly session: Session, private readonly limits: HeldLimits) {}

  get size(): number { return this.items.size; }

  /** The session's outboundFilter: true when the stanza is held. */
  readonly filter = (stanza: Element): boolean => {
    const v = classify(stanza, this.session.jid?.toString());
    if (v.kind === 'pass') return false;
    if (v.kind === 'urgent') {
      this.flush();
      return false;
    }
    // Measured once, here: the bound is about what the client will eventually receive.
    const bytes = Buffer.byteLength(stanza.toString());
    let key: string | number;
    if (v.kind === 'coalesce') {
      key = v.key;
      const old = this.items.get(key);
      if (old) {
        this.items.delete(key);
        this.bytes -= old.bytes;
        this.stats.coalesced++;
      }
    } else {
      key = this.seq++;
    }
    this.items.set(key, { stanza, bytes });
    this.bytes += bytes;
    this.stats.held++;
    if (this.items.size > this.limits.maxStanzas || this.bytes > this.limits.maxBytes) this.flush();
    return true;
  };

  /** Sends everything held, in order, past the filter. */
  flush(): void {
    if (this.items.size === 0) return;
    const out = [...this.items.values()];
    this.items.clear();
    this.bytes = 0;
    this.stats.flushes++;
    for (const { stanza } of out) this.session.sendDirect(stanza);
  }

  /** For a session that is gone: what it held can no longer be delivered. */
  discard(): void {
    this.items.clear();
    this.bytes = 0;
  }
}
