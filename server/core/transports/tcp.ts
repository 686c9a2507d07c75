/**
 * TCP listeners for c2s: port 5222 with STARTTLS (RFC 6120 §5) and 5223 with direct TLS
 * (XEP-0368). Sets TCP_NODELAY (writes are coalesced per event-loop turn by the stream), limits
 * connections per address, and picks the certificate by SNI.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { C2SStream, type C2SConfig } from '../stream/c2s.js';

export interface ListenerOptions {
  host: string;
  port: number;
  directTls: boolean;
  maxConnectionsPerIp: number;
  /** Plaintext SASL and registration on this listener for loopback peers only. */
  allowPlaintextOnLoopback: boolean;
  /** Key and certificate for TLS clients that send no SNI (they connected by address). */
  defaultCredentials?: { cert: string; key: string };
}

export interface Listener {
  readonly port: number;
  readonly streams: Set<C2SStream>;
  close(): Promise<void>;
}

export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}

export async function listenC2S(opts: ListenerOptions, streamCfg: Omit<C2SConfig, 'allowPlaintextAuth' | 'onClose' | 'onTakeover'>, log: Logger): Promise<Listener> {
  const streams = new Set<C2SStream>();
  const perIp = new Map<string, number>();

  const accept = (socket: net.Socket, secure: boolean) => {
    const ip = socket.remoteAddress ?? '';
    const n = (perIp.get(ip) ?? 0) + 1;
    if (n > opts.maxConnectionsPerIp) {
      log.warn({ ip }, 'too many connections from one address');
      socket.destroy();
      return;
    }
    perIp.set(ip, n);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    const stream = new C2SStream(socket, {
      ...streamCfg,
      allowPlaintextAuth: opts.allowPlaintextOnLoopback && isLoopback(ip),
      onClose: (s) => {
        streams.delete(s);
        const left = (perIp.get(ip) ?? 1) - 1;
        if (left <= 0) perIp.delete(ip);
        else perIp.set(ip, left);
      },
      // XEP-0198 resumption: the connection now belongs to the resumed session.
      onTakeover: (from, to) => {
        streams.delete(from);
        streams.add(to);
      },
    }, secure);
    streams.add(stream);
  };

  let server: net.Server;
  if (opts.directTls) {
    const domains = () => streamCfg.router.localDomains;
    server = tls.createServer({
      minVersion: streamCfg.minTlsVersion,
      // XEP-0368 §3: the client names the service domain with SNI; subdomains share the parent's certificate.
      SNICallback: (servername, cb) => cb(null, contextForName(servername, domains(), streamCfg.secureContext)),
      ...opts.defaultCredentials,
      ALPNProtocols: ['xmpp-client'],
    }, (socket) => accept(socket, true));
    server.on('tlsClientError', (err) => log.debug({ err }, 'tls handshake failed'));
  } else {
    server = net.createServer((socket) => accept(socket, false));
  }
  server.maxConnections = 1_000_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port, backlog: 1024 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'listener error'));
  const port = (server.address() as net.AddressInfo).port;
  log.info({ port, host: opts.host, directTls: opts.directTls }, 'c2s listening');
  return {
    port,
    streams,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function contextForName(name: string, domains: string[], ctx: (d: string) => tls.SecureContext | undefined): tls.SecureContext | undefined {
  const n = name.toLowerCase();
  const own = ctx(n);
  if (own) return own;
  const parent = domains.filter((d) => n.endsWith(`.${d}`)).sort((a, b) => b.length - a.length)[0];
  return parent ? ctx(parent) : undefined;
}
