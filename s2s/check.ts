/**
 * Federation lines for `tern check`: the extra CA files (readable, PEM certificates), component
 * domains that clash with served names, and the policy and routing of each configured remote domain.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TernConfig } from '../server/config/schema.js';

export function s2sChecks(config: TernConfig): Array<{ ok: boolean; line: string }> {
  const out: Array<{ ok: boolean; line: string }> = [];
  if (!config.listeners.s2s.enabled) out.push({ ok: true, line: 's2s: disabled (remote domains get remote-server-not-found)' });
  else out.push({ ok: true, line: `s2s: default policy ${config.s2s.default_policy}, encryption ${config.s2s.encryption}` });
  for (const f of config.s2s.ca_files) {
    try {
      const pem = readFileSync(f, 'utf8');
      const cert = new X509Certificate(pem);
      const expired = new Date(cert.validTo).getTime() < Date.now();
      out.push({ ok: !expired, line: `s2s CA ${f}: ${expired ? 'FAIL: expired' : 'ok'} (${cert.subject.replace(/\n/g, ', ')})` });
    } catch (err) {
      out.push({ ok: false, line: `s2s CA ${f}: FAIL: ${(err as Error).message}` });
    }
  }
  for (const [domain, d] of Object.entries(config.s2s.domains)) {
    const route = d.host ? ` via ${d.host}:${d.port ?? 5269}` : '';
    out.push({ ok: true, line: `s2s ${domain}: policy ${d.policy ?? config.s2s.default_policy}${route}` });
  }
  const served = new Set(config.hosts.flatMap((h) => (h.muc.enabled ? [h.domain, h.muc.domain] : [h.domain])));
  for (const c of config.components) {
    if (served.has(c.domain)) out.push({ ok: false, line: `component ${c.domain}: FAIL: the domain is already served by a host or its MUC service` });
    else out.push({ ok: true, line: `component ${c.domain}: ok` });
  }
  return out;
}
