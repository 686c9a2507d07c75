/**
 * Accounts known to exist, so messages to offline users do not cost an account lookup each.
 * Only positive answers are kept: an account created by another process (the CLI) must not meet a
 * stale "no such user". Bounded; the oldest entry goes first.
 */
export class KnownAccounts {
  private readonly names = new Set<string>();

  constructor(private readonly max: number) {}

  has(username: string): boolean {
    return this.names.has(username);
  }

  add(username: string): void {
    if (this.names.has(username)) return;
    if (this.names.size >= this.max) {
      const oldest = this.names.values().next().value;
      if (oldest !== undefined) this.names.delete(oldest);
    }
    this.names.add(username);
  }

  delete(username: string): void {
    this.names.delete(username);
  }
}
