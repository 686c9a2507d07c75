/**
 * Where to connect for a remote domain (RFC 6120 §3.2, XEP-0368 §3): a configured override first;
 * else DNS SRV `_xmpps-server._tcp` (direct TLS) and `_xmpp-server._tcp` (STARTTLS) merged by
 * priority and weight (RFC 2782); with no SRV records at all, the domain itself (A/AAAA) on 5269.
 * A "." target means the service is decidedly not available (RFC 6120 §3.2.1).
 */
import dns from 'node:dns/promises';

export interface Target { host: string; port: number; directTls: boolean }

export interface Resolver {
  resolveSrv(name: string): Promise<Array<{ name: string; port: number; priority: number; weight: number }>>;
}

async function srv(r: Resolver, name: string): Promise<Array<{ name: string; port: number; priority: number; weight: number }>> {
  try {
    return await r.resolveSrv(name);
  } catch {
    return [];
  }
}

/** Weighted order within each priority (RFC 2782): a random draw by weight, repeated. */
function order<T extends { priority: number; weight: number }>(records: T[], random = Math.random): T[] {
  const byPrio = new Map<number, T[]>();
  for (const r of records) byPrio.set(r.priority, [...(byPrio.get(r.priority) ?? []), r]);
  const out: T[] = [];
  for (const prio of [...byPrio.keys()].sort((a, b) => a - b)) {
    const left = [...byPrio.get(prio)!];
    while (left.length) {
      const total = left.reduce((s, r) => s + r.weight, 0);
      let pick = random() * total;
      let i = left.findIndex((r) => (pick -= r.weight) < 0);
      if (i < 0) i = 0;
      out.push(left.splice(i, 1)[0]!);
    }
  }
  return out;
}

export async function resolveTargets(domain: string, override?: { host?: string; port?: number; direct_tls?: boolean }, r: Resolver = dns): Promise<Target[]> {
  if (override?.host) return [{ host: override.host, port: override.port ?? 5269, directTls: override.direct_tls ?? false }];
  const [direct, plain] = await Promise.all([srv(r, `_xmpps-server._tcp.${domain}`), srv(r, `_xmpp-server._tcp.${domain}`)]);
  const records = [
    ...direct.map((x) => ({ ...x, directTls: true })),
    ...plain.map((x) => ({ ...x, directTls: false })),
  ];
  if (records.length === 0) return [{ host: domain, port: 5269, directTls: false }];
  return order(records).filter((x) => x.name !== '' && x.name !== '.').map((x) => ({ host: x.name, port: x.port, directTls: x.directTls }));
}
