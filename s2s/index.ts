/**
 * Federation and external components, wired from the config (the composition root calls this;
 * core never imports s2s). Specifications:
 *   RFC 6120 (server-to-server streams §4, STARTTLS §5, SASL §6, addressing §8.1.1.2, §10.4)
 *   XEP-0178 1.2 (SASL EXTERNAL with certificates), XEP-0220 1.1.1 (Server Dialback),
 *   XEP-0185 1.0 (dialback key generation), XEP-0344 0.4 §2.4 (no callback when the certificate
 *   authenticates), XEP-0368 1.1.0 (direct TLS SRV records, outgoing), XEP-0114 1.6 (components).
 */
import type tls from 'node:tls';
import type { Logger } from 'pino';
import type { TernConfig } from '../server/config/schema.js';
import type { HookBus } from '../server/core/events.js';
import type { Router } from '../server/core/router.js';
import { type ComponentListener, listenComponents } from './component.js';
import type { ConnectionLimits } from './connection.js';
import { Federation } from './federation.js';
import { loadCas } from './identity.js';

export { Federation } from './federation.js';

export interface FederationHandle {
  federation?: Federation;
  s2sPort?: number;
  componentPort?: number;
  close(): Promise<void>;
}

export async function startFederation(
  config: TernConfig, router: Router, bus: HookBus, log: Logger,
  credentials: (domain: string) => { cert: string; key: string } | undefined,
): Promise<FederationHandle> {
  const l = config.limits;
  const xmlLimits = { maxStanzaBytes: l.max_stanza_bytes, maxDepth: l.max_depth, maxAttributes: l.max_attributes, maxHeaderBytes: l.max_stream_header_bytes };
  const limits: ConnectionLimits = { ...xmlLimits, idleTimeoutMs: config.s2s.idle_timeout_s * 1000 };
  const handle: FederationHandle = { close: async () => {} };
  const closers: Array<() => Promise<void>> = [];
  handle.close = async () => { for (const c of closers.splice(0).reverse()) await c().catch(() => {}); };
  try {
    if (config.listeners.s2s.enabled) {
      const fed = new Federation({
        router, bus, log: log.child({ part: 's2s' }), limits,
        connectTimeoutMs: config.s2s.connect_timeout_s * 1000,
        maxQueued: config.s2s.max_queued,
        maxConnectionsPerIp: l.max_connections_per_ip,
        rateBytesPerS: config.s2s.max_bytes_per_s,
        encryption: config.s2s.encryption,
        defaultPolicy: config.s2s.default_policy,
        domains: config.s2s.domains,
        ca: loadCas(config.s2s.ca_files),
        credentials,
        minTlsVersion: config.tls.min_version as tls.SecureVersion,
      });
      fed.attach();
      closers.push(() => fed.stop());
      const s = config.listeners.s2s;
      handle.s2sPort = (await fed.listen(s.host, s.port)).port;
      handle.federation = fed;
    }
    const c = config.listeners.component;
    if (c.enabled && config.components.length > 0) {
      const secrets = new Map(config.components.map((x) => [x.domain, x.secret]));
      // A component is idle-timed like a client: it keeps its stream alive with whitespace.
      const listener: ComponentListener = await listenComponents(c.host, c.port, { router, secrets, limits: { ...xmlLimits, idleTimeoutMs: l.idle_timeout_s * 1000 }, log: log.child({ part: 'component' }) });
      closers.push(() => listener.close());
      handle.componentPort = listener.port;
    }
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}
