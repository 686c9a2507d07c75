/**
 * The HTTPS listener modules serve web resources on (XEP-0363 uploads first). One listener for the
 * whole server: modules register path prefixes through the global `https` service while they load;
 * the composition root binds the port after that (never for CLI account commands, which boot the
 * modules without listeners) and closes it, with its keep-alive connections, on stop.
 * TLS uses the hosts' certificates; SNI picks the host whose domain (or a subdomain of it) is asked.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type tls from 'node:tls';
import type { Logger } from 'pino';
import type { Disposable } from '../events.js';

export type HttpHandler = (req: IncomingMessage, res: ServerResponse, path: string) => void | Promise<void>;

declare module '../module.js' {
  interface Services { https: HttpsService }
}

export interface HttpsService {
  /** Serves every request whose path starts with `prefix` (e.g. `/upload/example.org/`). */
  route(prefix: string, handler: HttpHandler): Disposable;
  /** The bound port once listening, else undefined. */
  readonly port: number | undefined;
  /** The configured public base URL, if the operator set one (a reverse proxy in front). */
  readonly publicUrl: string | null;
}

export class HttpsRoutes implements HttpsService {
  private readonly routes = new Map<string, HttpHandler>();
  port: number | undefined;
  constructor(readonly publicUrl: string | null) {}

  route(prefix: string, handler: HttpHandler): Disposable {
    if (this.routes.has(prefix)) throw new Error(`HTTP path ${prefix} is already served`);
    this.routes.set(prefix, handler);
    return { dispose: () => { if (this.routes.get(prefix) === handler) this.routes.delete(prefix); } };
  }

  find(path: string): HttpHandler | undefined {
    let best: string | undefined;
    for (const p of this.routes.keys()) if (path.startsWith(p) && (!best || p.length > best.length)) best = p;
    return best === undefined ? undefined : this.routes.get(best);
  }
}

export interface HttpsListener { port: number; close(): Promise<void> }

export interface HttpsOptions {
  host: string;
  port: number;
  defaultCredentials: { cert: string; key: string };
  /** The context for a TLS server name, if one of ours. */
  contextFor(servername: string): tls.SecureContext | undefined;
  minVersion: tls.SecureVersion;
}

export async function listenHttps(opts: HttpsOptions, routes: HttpsRoutes, log: Logger): Promise<HttpsListener> {
  const server = https.createServer({
    ...opts.defaultCredentials,
    minVersion: opts.minVersion,
    SNICallback: (name, cb) => cb(null, opts.contextFor(name)),
    // Slow clients must not hold sockets forever; uploads of large files still get an hour.
    headersTimeout: 30_000,
    requestTimeout: 3_600_000,
    keepAliveTimeout: 5_000,
  }, (req, res) => {
    let path: string;
    try {
      path = decodeURI(new URL(req.url ?? '/', 'https://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const handler = routes.find(path);
    if (!handler) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res, path))
      .catch((err) => {
        log.error({ err, method: req.method }, 'HTTP handler failed');
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
  });
  server.on('tlsClientError', (err) => log.debug({ err: err.message }, 'HTTPS TLS handshake failed'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  routes.port = port;
  log.info({ host: opts.host, port }, 'HTTPS listener (file upload) ready');
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      routes.port = undefined;
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
