/**
 * Boots a real Tern (the compiled `dist/server/cli.js start`, as `npm start` runs it) in a child
 * process on ephemeral loopback ports with a temporary data dir, and reads its JSON log to learn
 * the ports. Certificates come from one local CA per test run, which the test process trusts
 * (see trustTestCa) — TLS verification stays on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The checkout: two levels up from test/harness, three when running compiled from dist/test/harness (benchmarks). */
export const ROOT = path.resolve(HERE, HERE.split(path.sep).includes('dist') ? '../../..' : '../..');
export const CLI = path.join(ROOT, 'dist/server/cli.js');
/** One certificate directory per test run: generating an RSA key per server would waste seconds. */
export const CERTS_DIR = process.env.TERN_TEST_CERTS ?? path.join(tmpdir(), `tern-test-certs-${process.pid}`);

export interface TestServer {
  domain: string;
  /** STARTTLS port (plaintext auth allowed only when the config says so). */
  port: number;
  /** Direct TLS port (XEP-0368). */
  tlsPort: number;
  /** HTTPS port of XEP-0363 file upload (listeners.http_upload). */
  uploadPort: number;
  /** Server-to-server port (RFC 6120 jabber:server). */
  s2sPort: number;
  /** External component port (XEP-0114), when components are configured. */
  componentPort: number;
  dir: string;
  dataDir: string;
  configPath: string;
  caFile: string;
  /** Every log line the server printed, parsed. */
  logs: Array<Record<string, unknown>>;
  process: ChildProcess;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to flush anything. */
  kill(): Promise<void>;
  /** Starts again on the same data dir and ports. */
  restart(): Promise<void>;
  /** Runs `tern <args>` against this server's config; resolves with exit code and output. */
  cli(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  cleanup(): Promise<void>;
}

export interface StartOptions {
  domain?: string;
  /** Merged over the generated config (YAML shape). */
  config?: Record<string, unknown>;
  /** Extra hosts besides `domain`. */
  hosts?: Array<Record<string, unknown>>;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
      ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const domain = opts.domain ?? 'localhost';
  const dir = mkdtempSync(path.join(tmpdir(), 'tern-test-'));
  const dataDir = path.join(dir, 'data');
  const configPath = path.join(dir, 'tern.yml');
  const base = {
    hosts: [{ domain, registration: 'open' }, ...(opts.hosts ?? [])],
    data_dir: dataDir,
    listeners: {
      c2s: { host: '127.0.0.1', port: 0 },
      c2s_direct_tls: { host: '127.0.0.1', port: 0, enabled: true },
      http_upload: { host: '127.0.0.1', port: 0, enabled: true },
      s2s: { host: '127.0.0.1', port: 0 },
      component: { host: '127.0.0.1', port: 0 },
    },
    tls: { certs_dir: CERTS_DIR },
    log: { level: 'debug', format: 'json' },
  };
  const cfg = deepMerge(base, opts.config ?? {});
  // YAML is a superset of JSON: no YAML library needed to write the file.
  writeFileSync(configPath, JSON.stringify(cfg, null, 2));

  const server: TestServer = {
    domain, dir, dataDir, configPath, port: 0, tlsPort: 0, uploadPort: 0, s2sPort: 0, componentPort: 0,
    caFile: path.join(CERTS_DIR, 'tern-local-ca.crt'),
    logs: [],
    process: undefined as unknown as ChildProcess,
    stop: async () => {
      const p = server.process;
      if (p.exitCode !== null || p.signalCode !== null) return p.exitCode;
      p.kill('SIGTERM');
      return await exited(p);
    },
    kill: async () => {
      const p = server.process;
      if (p.exitCode !== null || p.signalCode !== null) return;
      p.kill('SIGKILL');
      await exited(p);
    },
    restart: async () => {
      await server.stop();
      // Keep the ports: clients and tests hold on to them.
      const again = deepMerge(JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>, {
        listeners: { c2s: { port: server.port }, c2s_direct_tls: { port: server.tlsPort }, http_upload: { port: server.uploadPort }, s2s: { port: server.s2sPort }, component: { port: server.componentPort } },
      });
      writeFileSync(configPath, JSON.stringify(again, null, 2));
      await boot(server);
    },
    cli: (args, stdin) => runCli(['--config', configPath, ...args], stdin),
    cleanup: async () => {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await boot(server);
  trustTestCa(server.caFile);
  return server;
}

function exited(p: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve(p.exitCode);
    p.once('exit', (code) => resolve(code));
  });
}

async function boot(server: TestServer): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'start', '--config', server.configPath], { cwd: server.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  server.process = child;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time\n${stderr}`)), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} during start\n${stderr}\n${buf}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        server.logs.push(rec);
        if (process.env.TERN_TEST_LOG) process.stderr.write(`${line}\n`);
        if (rec.msg === 'ready') {
          const ports = rec.ports as { c2s: number; c2sDirectTls: number; httpUpload?: number; s2s?: number; component?: number };
          server.port = ports.c2s;
          server.tlsPort = ports.c2sDirectTls;
          server.uploadPort = ports.httpUpload ?? 0;
          server.s2sPort = ports.s2s ?? 0;
          server.componentPort = ports.component ?? 0;
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve();
        }
      }
    });
  });
}

export function runCli(args: string[], stdin?: string, env?: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const trusted = new Set<string>();
let originalConnect: typeof tls.connect | undefined;

/**
 * Makes this process trust the test CA in addition to the system roots, for clients that do not
 * take a `ca` option (@xmpp/client). The same effect as NODE_EXTRA_CA_CERTS, which Node reads only
 * at start-up, before the CA exists.
 */
export function trustTestCa(caFile: string): void {
  const pem = readFileSync(caFile, 'utf8');
  if (trusted.has(pem)) return;
  trusted.add(pem);
  if (!originalConnect) {
    originalConnect = tls.connect;
    const wrapped = ((...args: unknown[]) => {
      const opts = args.find((a) => a && typeof a === 'object') as tls.ConnectionOptions | undefined;
      if (opts && !opts.ca) opts.ca = [...tls.rootCertificates, ...trusted];
      return (originalConnect as (...a: unknown[]) => tls.TLSSocket)(...args);
    }) as typeof tls.connect;
    (tls as { connect: typeof tls.connect }).connect = wrapped;
  }
}
