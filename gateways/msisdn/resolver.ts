/**
 * Number → XMPP address, in the configured order (issue 8, seed §6.1 "SHALL work across domains"):
 *   1. this host's directory (verified, discoverable numbers only);
 *   2. ENUM (RFC 6116) under each configured suffix;
 *   3. the prefix table, then a jabber:iq:gateway query to the partner's msisdn.<domain> service.
 * Remote answers are cached for the cache TTL, failures and "nobody has it" for the shorter negative
 * TTL. The local directory is never cached (it is an in-memory index already, and changes at once).
 */
import type { Jid } from '../../server/core/jid.js';
import type { TtlCache } from './cache.js';
import { type NaptrResolver, resolveEnum } from './enum.js';
import type { PrefixTable } from './prefixes.js';

export type Via = 'local' | 'enum' | 'prefix';
export interface Resolution { jid?: Jid; via?: Via }

export interface ResolverDeps {
  local(e164: string): Promise<Jid | undefined>;
  dns?: NaptrResolver;
  suffixes: readonly string[];
  prefixes: PrefixTable;
  /** This host: a prefix route to it would ask ourselves. */
  isOwnDomain(domain: string): boolean;
  /** Asks msisdn.<domain>; undefined when it says item-not-found, throws on any other failure. */
  askPartner(domain: string, e164: string): Promise<Jid | undefined>;
  cache: TtlCache<{ jid: Jid; via: Via } | null>;
  ttlMs: number;
  negativeTtlMs: number;
  log?: { debug(o: object, msg: string): void };
}

export class MsisdnResolver {
  constructor(private readonly d: ResolverDeps) {}

  async resolve(e164: string): Promise<Resolution> {
    const own = await this.d.local(e164);
    if (own) return { jid: own, via: 'local' };
    const hit = this.d.cache.get(e164);
    if (hit !== undefined) return hit ?? {};
    const r = await this.remote(e164);
    if (r.jid) this.d.cache.set(e164, { jid: r.jid, via: r.via! }, this.d.ttlMs);
    else this.d.cache.set(e164, null, this.d.negativeTtlMs);
    return r;
  }

  private async remote(e164: string): Promise<Resolution> {
    if (this.d.dns && this.d.suffixes.length > 0) {
      const r = await resolveEnum(this.d.dns, e164, this.d.suffixes);
      if (r.kind === 'found') return { jid: r.jid, via: 'enum' };
      if (r.kind === 'error') this.d.log?.debug({ error: r.error }, 'ENUM lookup failed');
    }
    const partner = this.d.prefixes.lookup(e164);
    if (partner && !this.d.isOwnDomain(partner)) {
      try {
        const jid = await this.d.askPartner(partner, e164);
        if (jid) return { jid, via: 'prefix' };
      } catch (err) {
        this.d.log?.debug({ err: (err as Error).message, partner }, 'partner lookup failed');
      }
    }
    return {};
  }
}
