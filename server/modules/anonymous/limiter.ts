/** Counts events per key in a fixed window (XEP-0175 §3: limit anonymous logins per address); bounded memory. */
const MAX_KEYS = 100_000;

export class WindowLimiter {
  private readonly counts = new Map<string, { n: number; first: number }>();

  constructor(private readonly max: number, private readonly windowMs: number, private readonly now: () => number = Date.now) {}

  /** Counts one event for `key`; false (and not counted) when the key is over the limit in this window. */
  take(key: string): boolean {
    const now = this.now();
    const e = this.counts.get(key);
    if (!e || now - e.first >= this.windowMs) {
      if (this.counts.size >= MAX_KEYS) this.sweep(now);
      this.counts.set(key, { n: 1, first: now });
      return true;
    }
    if (e.n >= this.max) return false;
    e.n++;
    return true;
  }

  private sweep(now: number): void {
    for (const [k, e] of this.counts) if (now - e.first >= this.windowMs) this.counts.delete(k);
    if (this.counts.size >= MAX_KEYS) {
      let n = this.counts.size / 2;
      for (const k of this.counts.keys()) {
        if (n-- <= 0) break;
        this.counts.delete(k);
      }
    }
  }
}
