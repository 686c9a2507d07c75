/**
 * Failed-authentication throttling per account and per remote address (RFC 6120 §13.9.4 on
 * dictionary attacks). A sliding count of failures per key; over the limit, attempts are refused
 * with temporary-auth-failure until the window has passed. Memory is bounded: old entries are
 * swept, and the table is capped.
 */
export interface ThrottleLimits { perAccount: number; perIp: number; windowMs: number }

interface Entry { failures: number; first: number }

const MAX_ENTRIES = 100_000;

export class AuthThrottle {
  private readonly accounts = new Map<string, Entry>();
  private readonly ips = new Map<string, Entry>();

  constructor(private readonly limits: ThrottleLimits, private readonly now: () => number = Date.now) {}

  ipBlocked(ip: string): boolean { return this.blocked(this.ips, ip, this.limits.perIp); }
  accountBlocked(account: string): boolean { return this.blocked(this.accounts, account, this.limits.perAccount); }

  recordFailure(ip: string, account?: string): void {
    this.bump(this.ips, ip);
    if (account) this.bump(this.accounts, account);
  }

  /** A success clears the account's failures, not the address's (one good login must not unlock a guessing address). */
  recordSuccess(account: string): void { this.accounts.delete(account); }

  private blocked(table: Map<string, Entry>, key: string, limit: number): boolean {
    const e = table.get(key);
    if (!e) return false;
    if (this.now() - e.first > this.limits.windowMs) {
      table.delete(key);
      return false;
    }
    return e.failures >= limit;
  }

  private bump(table: Map<string, Entry>, key: string): void {
    const now = this.now();
    const e = table.get(key);
    if (!e || now - e.first > this.limits.windowMs) {
      if (table.size >= MAX_ENTRIES) this.sweep(table, now);
      table.set(key, { failures: 1, first: now });
    } else {
      e.failures++;
    }
  }

  private sweep(table: Map<string, Entry>, now: number): void {
    for (const [k, e] of table) if (now - e.first > this.limits.windowMs) table.delete(k);
    // Still full: forget the oldest half rather than grow without bound.
    if (table.size >= MAX_ENTRIES) {
      let n = table.size / 2;
      for (const k of table.keys()) {
        if (n-- <= 0) break;
        table.delete(k);
      }
    }
  }
}
