/**
 * Federation: the s2s listener, the outgoing streams (one per local/remote domain pair, reused),
 * the per-domain policy, the dialback key secret, and the `route/remote` hook through which the
 * router hands us every stanza for a domain that is not local (RFC 6120 §10.4).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import { StanzaError, type StanzaErrorCondition, StreamError } from '../server/core/errors.js';
import { type Disposable, HANDLED, type HookBus, Priority, type StanzaEvent } from '../server/core/events.js';
import type { Router } from '../server/core/router.js';
import type { ConnectionLimits } from './connection.js';
import { DialbackKeys } from './dialback.js';
import { IncomingStream } from './incoming.js';
import { OutgoingStream } from './outgoing.js';
import type { Resolver } from './resolve.js';

export type S2SPolicy = 'require_valid_cert' | 'allow_dialback' | 'deny';

export interface FederationOptions {
  router: Router;
  bus: HookBus;
  log: Logger;
  limits: ConnectionLimits;
  connectTimeoutMs: number;
  maxQueued: number;
  /** Bytes per second read from each incoming stream (0: unlimited). */
  rateBytesPerS: number;
  /** Incoming s2s connections per peer address (as limits.max_connections_per_ip for clients). */
  maxConnectionsPerIp: number;
  encryption: 'required' | 'optional';
  defaultPolicy: S2SPolicy;
  domains: Readonly<Record<string, { policy?: S2SPolicy; host?: string; port?: number; direct_tls?: boolean }>>;
  /** Trusted CA certificates (PEM): the system roots plus configured extra files. */
  ca: string[];
  /** Certificate and key for a local domain (a service subdomain uses its parent's). */
  credentials(domain: string): { cert: string; key: string } | undefined;
  minTlsVersion: tls.SecureVersion;
  resolver?: Resolver;
}

export interface S2SListener { port: number; close(): Promise<void> }

export class Federation {
  readonly keys = new DialbackKeys();
  readonly log: Logger;
  private readonly outgoing = new Map<string, OutgoingStream>();
  private readonly incoming = new Set<IncomingStream>();
  private readonly contexts = new Map<string, tls.SecureContext | undefined>();
  private hook?: Disposable;
  private server?: net.Server;

  constructor(readonly opts: FederationOptions) {
    this.log = opts.log;
  }

  get router(): Router { return this.opts.router; }

  /** Starts taking remote stanzas from the router. */
  attach(): void {
    this.hook = this.opts.bus.on('route/remote', (ev) => this.routeRemote(ev), Priority.Default);
  }

  serves(domain: string): boolean { return this.opts.router.isLocal(domain); }

  policyFor(domain: string): S2SPolicy {
    return this.opts.domains[domain]?.policy ?? this.opts.defaultPolicy;
  }

  canTls(local: string): boolean { return this.serverContext(local) !== undefined; }

  serverContext(local: string): tls.SecureContext | undefined {
    if (!this.contexts.has(local)) {
      const cred = this.opts.credentials(local);
      this.contexts.set(local, cred ? tls.createSecureContext({ ...cred, ca: this.opts.ca, minVersion: this.opts.minTlsVersion }) : undefined);
    }
    return this.contexts.get(local);
  }

  /** TLS options for an outgoing stream: our certificate as client certificate (XEP-0178), the remote domain as SNI; verification is ours. */
  clientTls(local: string, remote: string): tls.ConnectionOptions {
    const cred = this.opts.credentials(local);
    return {
      ...cred,
      ca: this.opts.ca,
      servername: net.isIP(remote) ? undefined : remote,
      minVersion: this.opts.minTlsVersion,
      rejectUnauthorized: false,
    };
  }

  private routeRemote(ev: StanzaEvent): typeof HANDLED {
    const local = ev.from.domain;
    const remote = ev.to.domain;
    if (!this.serves(local)) {
      // Not ours to send (a remote stanza for another remote domain): s2s does not relay.
      this.log.warn({ from: local, to: remote }, 'not relaying a stanza between two remote domains');
      return HANDLED;
    }
    if (this.policyFor(remote) === 'deny') throw new StanzaError('remote-server-not-found', 'federation with this domain is not allowed');
    this.stream(local, remote).send(ev.stanza);
    return HANDLED;
  }

  private stream(local: string, remote: string): OutgoingStream {
    const k = `${local} ${remote}`;
    let s = this.outgoing.get(k);
    if (!s) {
      s = new OutgoingStream(local, remote, this);
      this.outgoing.set(k, s);
      s.start();
    }
    return s;
  }

  /** As the receiving server: asks `remote`'s authoritative server about a key (XEP-0220 §2.3). */
  verifyKey(local: string, remote: string, streamId: string, key: string): Promise<boolean | undefined> {
    return this.stream(local, remote).verify(streamId, key);
  }

  forget(s: OutgoingStream): void {
    const k = `${s.local} ${s.remote}`;
    if (this.outgoing.get(k) === s) this.outgoing.delete(k);
  }

  bounce(stanza: Element, condition: StanzaErrorCondition): void {
    this.opts.router.reject(stanza, new StanzaError(condition));
  }

  incomingClosed(s: IncomingStream): void {
    this.incoming.delete(s);
    for (const [remote, auth] of s.authenticated) this.log.info({ direction: 'in', remote, local: s.localDomain, auth }, 's2s stream closed');
  }

  async listen(host: string, port: number): Promise<S2SListener> {
    const perIp = new Map<string, number>();
    const server = net.createServer((socket) => {
      const ip = socket.remoteAddress ?? '';
      const n = (perIp.get(ip) ?? 0) + 1;
      if (n > this.opts.maxConnectionsPerIp) {
        this.log.warn({ ip }, 'too many s2s connections from one address');
        socket.destroy();
        return;
      }
      perIp.set(ip, n);
      socket.once('close', () => {
        const left = (perIp.get(ip) ?? 1) - 1;
        if (left <= 0) perIp.delete(ip);
        else perIp.set(ip, left);
      });
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 60_000);
      this.incoming.add(new IncomingStream(socket, this));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => { server.off('error', reject); resolve(); });
    });
    server.on('error', (err) => this.log.error({ err }, 's2s listener error'));
    const actual = (server.address() as net.AddressInfo).port;
    this.log.info({ host, port: actual }, 's2s listening');
    return { port: actual, close: () => this.stop() };
  }

  async stop(): Promise<void> {
    this.hook?.dispose();
    this.hook = undefined;
    for (const s of this.outgoing.values()) s.fail('remote-server-not-found', 'server stopping');
    for (const s of this.incoming) s.streamError(new StreamError('system-shutdown'));
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
