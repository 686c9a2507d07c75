/**
 * The prefix table: number ranges (E.164 prefixes) that partner operators serve. The longest
 * matching prefix wins, so a partner can hold a sub-range of another's block.
 */
export interface PrefixRoute { prefix: string; domain: string }

export class PrefixTable {
  private readonly routes: PrefixRoute[];

  constructor(routes: readonly PrefixRoute[]) {
    this.routes = [...routes].sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The partner domain for a canonical number, if any range holds it. */
  lookup(e164: string): string | undefined {
    return this.routes.find((r) => e164.startsWith(r.prefix))?.domain;
  }
}
