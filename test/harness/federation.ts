/**
 * Several Tern servers on loopback joined by s2s (RFC 6120, XEP-0220 dialback by default): each
 * its own process and directory, its s2s port picked up front with freePort(), and `s2s.domains`
 * overrides sending its streams for every peer (and any extra names a peer serves, such as
 * msisdn.<domain>) to that peer's port. Started one after the other: the first creates the shared
 * test CA.
 */
import { freePort } from '../../s2s/testing/prosody.js';
import { startServer, type TestServer } from './server.js';

export interface FederationOptions<D extends string> {
  /** The rest of each server's configuration (hosts, modules); listeners.s2s and s2s.domains are added. */
  config(domain: D): Record<string, unknown>;
  /** Other names a server is reached at besides its domain (e.g. `msisdn.<domain>`). */
  alsoAt?(domain: D): string[];
  /** More s2s settings for every server (e.g. ca_files). */
  s2s?: Record<string, unknown>;
}

export async function startFederation<D extends string>(domains: readonly D[], o: FederationOptions<D>): Promise<Record<D, TestServer>> {
  const ports = new Map<D, number>();
  for (const d of domains) ports.set(d, await freePort());
  const out = {} as Record<D, TestServer>;
  for (const domain of domains) {
    const peers = domains.filter((d) => d !== domain)
      .flatMap((d) => [d, ...(o.alsoAt?.(d) ?? [])].map((name) => [name, { host: '127.0.0.1', port: ports.get(d)! }] as const));
    const config = o.config(domain);
    out[domain] = await startServer({
      domain,
      config: {
        ...config,
        listeners: { ...(config.listeners as object | undefined), s2s: { port: ports.get(domain)! } },
        s2s: { ...o.s2s, domains: Object.fromEntries(peers) },
      },
    });
  }
  return out;
}
