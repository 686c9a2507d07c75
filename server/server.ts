/**
 * The composition root: config → storage → certificates → hosts with their modules → listeners.
 * `listen: false` boots the same module system without sockets, for the CLI's account commands.
 */
import { mkdirSync } from 'node:fs';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { ensureLocalCertificates, loadSecureContextOptions } from '../certs/index.js';
import { SipRoutes } from '../gateways/sip/routes.js';
import { SipTransport } from '../gateways/sip/transport.js';
import { openStorage } from '../storage/open.js';
import type { StorageProvider } from '../storage/types.js';
import type { TernConfig } from './config/schema.js';
import { ServerError, StreamError } from './core/errors.js';
import { HookBus } from './core/events.js';
import { Host } from './core/host.js';
import { type ModuleDefinition, ServiceRegistry } from './core/module.js';
import { Router } from './core/router.js';
import type { C2SStream } from './core/stream/c2s.js';
import { ResumptionRegistry } from './core/stream/sm.js';
import { AuthThrottle } from './core/stream/throttle.js';
import { HttpsRoutes, type HttpsListener, listenHttps } from './core/transports/https.js';
import { type Listener, listenC2S } from './core/transports/tcp.js';
import { createLogger } from './logging.js';
import { allModules } from './modules/index.js';
import { type FederationHandle, startFederation } from '../s2s/index.js';

export interface StartOptions {
  log?: Logger;
  listen?: boolean;
  modules?: readonly ModuleDefinition<any, any>[];
}

export class TernServer {
  private readonly listeners: Listener[] = [];
  private https?: HttpsListener;
  /** The SIP listener's gateways by domain (the `sip` service, RFC 7247 gateways); bound by listen(). */
  private readonly sipRoutes = new SipRoutes();
  /** Paths modules serve over HTTPS (the `https` service); bound by listen(). */
  private readonly httpsRoutes: HttpsRoutes;
  private federation?: FederationHandle;
  /** XEP-0198 sessions that can be resumed, across listeners. */
  private readonly resumable = new ResumptionRegistry<C2SStream>();
  private stopping?: Promise<void>;

  private constructor(
    readonly config: TernConfig,
    readonly log: Logger,
    readonly storage: StorageProvider,
    readonly bus: HookBus,
    readonly router: Router,
    readonly hosts: Map<string, Host>,
  ) {
    this.httpsRoutes = new HttpsRoutes(config.listeners.http_upload.public_url);
  }

  static async start(config: TernConfig, opts: StartOptions = {}): Promise<TernServer> {
    const log = opts.log ?? createLogger(config.log);
    mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
    const storage = await openStorage(config);
    const bus = new HookBus(undefined, (event, err) => log.error({ err, event }, 'hook handler failed'));
    const router = new Router(bus, log.child({ part: 'router' }));
    const services = new ServiceRegistry();
    const hosts = new Map<string, Host>();
    const server = new TernServer(config, log, storage, bus, router, hosts);
    services.provide('https', server.httpsRoutes);
    services.provide('sip', server.sipRoutes);
    try {
      for (const hc of config.hosts) {
        const host = new Host(hc.domain, hc, config, router, bus, services, storage, log.child({ host: hc.domain }));
        hosts.set(hc.domain, host);
        router.addHost(host);
      }
      for (const host of hosts.values()) await host.loadModules(opts.modules ?? allModules);
      if (opts.listen !== false) await server.listen();
      await bus.notify('server/started', {});
    } catch (err) {
      await server.stop('startup failed').catch(() => {});
      throw err;
    }
    return server;
  }

  private async listen(): Promise<void> {
    const { config, log, router, hosts } = this;
    const domains = [...hosts.keys()];
    const certsDir = config.tls.certs_dir;
    const generated = ensureLocalCertificates(certsDir, domains).generated;
    if (generated.length) log.warn({ domains: generated, dir: certsDir }, 'generated self-signed certificates from a local CA; import real ones with `tern cert import`');
    const contexts = new Map<string, tls.SecureContext>();
    const credentials = new Map<string, { cert: string; key: string }>();
    for (const d of domains) {
      try {
        credentials.set(d, loadSecureContextOptions(certsDir, d));
        contexts.set(d, tls.createSecureContext({ ...credentials.get(d), minVersion: config.tls.min_version as tls.SecureVersion }));
      } catch (err) {
        throw new ServerError('TERN_ERR_CERT', `certificate for ${d} cannot be used: ${(err as Error).message}`, err);
      }
    }
    const limits = config.limits;
    const streamCfg = {
      hostFor: (d: string) => hosts.get(d),
      router,
      limits: {
        maxStanzaBytes: limits.max_stanza_bytes,
        maxDepth: limits.max_depth,
        maxAttributes: limits.max_attributes,
        maxHeaderBytes: limits.max_stream_header_bytes,
        idleTimeoutMs: limits.idle_timeout_s * 1000,
        authTimeoutMs: limits.auth_timeout_s * 1000,
      },
      starttls: config.listeners.c2s.starttls,
      secureContext: (d: string) => contexts.get(d),
      minTlsVersion: config.tls.min_version as tls.SecureVersion,
      mechanisms: config.sasl.mechanisms,
      sasl2: config.sasl.sasl2,
      throttle: new AuthThrottle({ perAccount: limits.auth_failures.per_account, perIp: limits.auth_failures.per_ip, windowMs: limits.auth_failures.window_s * 1000 }),
      log: log.child({ part: 'c2s' }),
      sm: {
        resumeTimeoutMs: config.stream_management.resume_timeout_s * 1000,
        maxUnacked: config.stream_management.max_unacked,
        ackTimeoutMs: config.stream_management.ack_timeout_s * 1000,
        registry: this.resumable,
      },
    };
    const c2s = config.listeners.c2s;
    this.listeners.push(await listenC2S({
      host: c2s.host, port: c2s.port, directTls: false,
      maxConnectionsPerIp: limits.max_connections_per_ip,
      allowPlaintextOnLoopback: c2s.allow_plaintext_on_loopback,
    }, streamCfg, log));
    const direct = config.listeners.c2s_direct_tls;
    if (direct.enabled) {
      this.listeners.push(await listenC2S({
        host: direct.host, port: direct.port, directTls: true,
        maxConnectionsPerIp: limits.max_connections_per_ip,
        allowPlaintextOnLoopback: false,
        defaultCredentials: credentials.get(domains[0]!),
      }, streamCfg, log));
    }
    const web = config.listeners.http_upload;
    if (web.enabled) {
      // A host's certificate also names its service subdomains (upload.<domain>, see certs/).
      const contextFor = (name: string) => {
        const n = name.toLowerCase();
        const d = domains.find((x) => n === x || n.endsWith(`.${x}`));
        return d === undefined ? undefined : contexts.get(d);
      };
      this.https = await listenHttps({
        host: web.host, port: web.port, defaultCredentials: credentials.get(domains[0]!)!,
        contextFor, minVersion: config.tls.min_version as tls.SecureVersion,
      }, this.httpsRoutes, log.child({ part: 'https' }));
    }
    // s2s and components; a service subdomain (MUC) presents its parent's certificate, which names it.
    const credentialsFor = (d: string) => credentials.get(d) ?? credentials.get(domains.filter((p) => d.endsWith(`.${p}`)).sort((a, b) => b.length - a.length)[0] ?? '');
    this.federation = await startFederation(config, router, this.bus, log, credentialsFor);
    const sip = config.listeners.sip;
    if (sip.enabled) this.sipRoutes.transport = await SipTransport.listen({ host: sip.host, port: sip.port }, this.sipRoutes.dispatch, log.child({ part: 'sip' }));
  }

  /** Actual ports (differ from the config when it asks for port 0). */
  get ports(): { c2s?: number; c2sDirectTls?: number; httpUpload?: number; s2s?: number; component?: number; sip?: number } {
    return {
      c2s: this.listeners[0]?.port, c2sDirectTls: this.listeners[1]?.port, httpUpload: this.https?.port,
      s2s: this.federation?.s2sPort, component: this.federation?.componentPort, sip: this.sipRoutes.transport?.port,
    };
  }

  host(domain: string): Host {
    const h = this.hosts.get(domain);
    if (!h) throw new ServerError('TERN_ERR_CONFIG', `${domain} is not a configured host`);
    return h;
  }

  /** Graceful shutdown: stop accepting, close every stream with system-shutdown, unload modules, flush storage. */
  stop(reason = 'shutdown'): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ reason }, 'stopping');
      await this.federation?.close();
      await Promise.all(this.listeners.map((l) => l.close().catch(() => {})).concat(
        this.https ? [this.https.close().catch(() => {})] : [],
        this.sipRoutes.transport ? [this.sipRoutes.transport.close().catch(() => {})] : [],
        this.listeners.flatMap((l) => [...l.streams].map(async (s) => s.close(new StreamError('system-shutdown')))),
      ));
      // Hibernated sessions have no connection in any listener; what they hold goes to offline storage.
      for (const s of this.resumable.sessions()) s.close(new StreamError('system-shutdown'));
      await this.resumable.settled();
      await this.bus.notify('server/stopping', { reason });
      for (const host of this.hosts.values()) await host.unloadAll();
      await this.storage.close();
      this.log.info('stopped');
    })();
    return this.stopping;
  }
}
