/**
 * `tern check`: what an operator wants to know before starting — the config (already validated by
 * loading it), each host's certificate, federation settings (s2s/check.ts), and whether the listener
 * ports can be bound.
 */
import net from 'node:net';
import { checkCertificate } from '../certs/index.js';
import type { TernConfig } from './config/schema.js';
import { s2sChecks } from '../s2s/check.js';

export async function runChecks(config: TernConfig, source: string | null, out: (line: string) => void): Promise<boolean> {
  let ok = true;
  out(`config: ok (${source ?? 'no file, built-in defaults'})`);
  for (const h of config.hosts) {
    const c = checkCertificate(config.tls.certs_dir, h.domain);
    if (c.ok) {
      out(`certificate ${h.domain}: ok${c.selfIssued ? ' (local CA)' : ''}, valid until ${c.notAfter?.toISOString()}`);
      for (const p of c.problems) out(`  warning: ${p}`);
    } else {
      ok = false;
      out(`certificate ${h.domain}: FAIL: ${c.problems.join('; ')} (run \`tern cert generate\` or \`tern cert import\`)`);
    }
  }
  const ports: Array<[string, string, number]> = [['c2s', config.listeners.c2s.host, config.listeners.c2s.port]];
  if (config.listeners.c2s_direct_tls.enabled) ports.push(['c2s_direct_tls', config.listeners.c2s_direct_tls.host, config.listeners.c2s_direct_tls.port]);
  if (config.listeners.http_upload.enabled) ports.push(['http_upload', config.listeners.http_upload.host, config.listeners.http_upload.port]);
  if (config.listeners.s2s.enabled) ports.push(['s2s', config.listeners.s2s.host, config.listeners.s2s.port]);
  if (config.listeners.component.enabled && config.components.length > 0) ports.push(['component', config.listeners.component.host, config.listeners.component.port]);
  for (const c of s2sChecks(config)) {
    if (!c.ok) ok = false;
    out(c.line);
  }
  for (const [name, host, port] of ports) {
    const problem = await canBind(host, port);
    if (problem) {
      ok = false;
      out(`listener ${name} ${host}:${port}: FAIL: ${problem}`);
    } else {
      out(`listener ${name} ${host}:${port}: ok`);
    }
  }
  return ok;
}

function canBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' ? 'port in use' : err.code === 'EACCES' ? 'permission denied' : err.message));
    s.listen({ host, port }, () => s.close(() => resolve(undefined)));
  });
}
