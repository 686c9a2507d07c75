/**
 * Starts a real Tern for a benchmark (dist/server/cli.js, as `npm start` runs it) in a temp dir, on
 * the plaintext loopback listener only (so socket bytes are XML bytes), and stops it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../test/harness/clients.js';
import { DEFAULT_ITERATIONS, deriveAllCredentials } from '../server/core/sasl/credentials.js';
import type { AccountRecord } from '../server/modules/accounts/service.js';
import { openEmbeddedStorage } from '../storage/embedded/provider.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Compiled: dist/bench/x.js → dist/server/cli.js; from source (tsx): bench/ → dist/server/cli.js. */
const CLI = HERE.endsWith(`${path.sep}dist${path.sep}bench`) ? path.join(HERE, '../server/cli.js') : path.join(HERE, '../dist/server/cli.js');

export interface BenchServer { port: number; proc: ChildProcess; dir: string; stop(): Promise<void> }

/** `host`: extra keys of the localhost host entry (module options). */
export async function bootTern(name: string, host: Record<string, unknown> = {}, logLevel = 'info'): Promise<BenchServer> {
  const dir = mkdtempSync(path.join(tmpdir(), `tern-bench-${name}-`));
  const cfg = {
    hosts: [{ domain: 'localhost', registration: 'open', ...host }],
    data_dir: path.join(dir, 'data'),
    listeners: {
      c2s: { host: '127.0.0.1', port: 0, allow_plaintext_on_loopback: true },
      c2s_direct_tls: { enabled: false }, http_upload: { enabled: false }, s2s: { enabled: false }, component: { enabled: false },
    },
    tls: { certs_dir: path.join(dir, 'certs') },
    log: { level: logLevel, format: 'json' },
  };
  writeFileSync(path.join(dir, 'tern.yml'), JSON.stringify(cfg));
  const proc = spawn(process.execPath, [CLI, 'start', '--config', path.join(dir, 'tern.yml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    proc.once('exit', (code) => reject(new Error(`tern exited with ${code}: ${err}`)));
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as { msg?: string; ports?: { c2s: number } };
          if (rec.msg === 'ready' && rec.ports) resolve(rec.ports.c2s);
        } catch { /* not JSON */ }
      }
    });
  });
  proc.removeAllListeners('exit');
  return {
    port, proc, dir,
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new account registered in-band, logged in with PLAIN and bound to resource `r` (no presence yet). */
export async function registeredClient(port: number, name: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  await c.openStream();
  c.write(`<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>${name}</username><password>bench-pass-${name}</password></query></iq>`);
  const r = await c.inbox.next((el) => el.attrs.id === 'reg', 10_000, 'registration');
  if (r.attrs.type !== 'result') throw new Error(`registration of ${name} failed: ${r.toString()}`);
  const ok = await c.authPlain(name, `bench-pass-${name}`);
  if (ok.name !== 'success') throw new Error(`login of ${name} failed`);
  c.write(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>`);
  await c.inbox.next((el) => el.attrs.id === 'bind', 5000, 'bind');
  return c;
}

/**
 * Tern for the load comparison (bench/servers.ts): fixed port, log level warn (as the peers log),
 * pinned to `cpu`, with the limits a load test trips raised — connections per address (every
 * client comes from 127.0.0.1), the MUC per-occupant message rate and room size, the offline store
 * per user (the offline scenario stores 10,000) — and accounts u1…uN present before the start.
 * durable: MAM archives every 1:1 message (Tern's default, XEP-0441 default 'always'); otherwise
 * the mam module is off (offline storage stays, it is only written for offline recipients).
 */
export interface LoadTernOptions { port: number; domain: string; users: number; prefix: string; password: string; durable: boolean; cpu: string; runDir: string }

export async function bootTernForLoad(o: LoadTernOptions): Promise<{ pid: number; stop(): Promise<void> }> {
  const template = await accountsTemplate(o);
  const dir = path.join(o.runDir, 'server');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  for (const f of readdirSync(template)) copyFileSync(path.join(template, f), path.join(dir, 'data', f));
  const cfg = {
    hosts: [{
      domain: o.domain, registration: 'open', modules_disabled: o.durable ? [] : ['mam'],
      offline: { max_messages: 1_000_000, max_bytes: 1_073_741_824 },
      muc: { message_rate: 10_000, message_burst: 100_000, max_occupants: 10_000, max_history: 0 },
    }],
    data_dir: path.join(dir, 'data'),
    listeners: {
      c2s: { host: '127.0.0.1', port: o.port, allow_plaintext_on_loopback: true },
      c2s_direct_tls: { enabled: false }, http_upload: { enabled: false }, s2s: { enabled: false }, component: { enabled: false },
    },
    limits: { max_connections_per_ip: 1_000_000 },
    // Kept between starts: generating the self-signed certificates is not what we measure.
    tls: { certs_dir: path.join(o.runDir, 'certs') },
    log: { level: process.env.TERN_BENCH_LOG ?? 'warn', format: 'json' },
  };
  writeFileSync(path.join(dir, 'tern.yml'), JSON.stringify(cfg));
  const log = path.join(dir, 'tern.log');
  const cmd = [process.execPath, CLI, 'start', '--config', path.join(dir, 'tern.yml')].map((a) => `'${a}'`).join(' ');
  const proc = spawn('bash', ['-c', `ulimit -n 20000 && exec taskset -c ${o.cpu} ${cmd} >>'${log}' 2>&1`], { cwd: dir, stdio: 'ignore' });
  const until = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`tern exited with ${proc.exitCode}: ${readFileSync(log, 'utf8').slice(-1000)}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: o.port });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > until) throw new Error(`tern does not listen on ${o.port}: ${readFileSync(log, 'utf8').slice(-1000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    pid: proc.pid!,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * A data dir holding only the accounts, made once per (users, password) and copied for every
 * start: SCRAM derivation (two PBKDF2 runs of 4096 iterations per account) is the cost of making
 * accounts, and it is paid once, with a salt of its own per account, as `tern adduser` stores them.
 */
async function accountsTemplate(o: LoadTernOptions): Promise<string> {
  const dir = path.join(o.runDir, `accounts-${o.users}-${createHash('sha256').update(`${o.domain}\0${o.prefix}\0${o.password}`).digest('hex').slice(0, 12)}`);
  if (existsSync(path.join(dir, 'complete'))) return path.join(dir, 'data');
  rmSync(dir, { recursive: true, force: true });
  const storage = openEmbeddedStorage({ dir: path.join(dir, 'data') });
  const accounts = storage.keyval<AccountRecord>(o.domain, 'accounts');
  const t0 = performance.now();
  for (let i = 1; i <= o.users; i++) await accounts.set(`${o.prefix}${i}`, { scram: deriveAllCredentials(o.password, DEFAULT_ITERATIONS), created: Date.now() });
  await storage.close();
  writeFileSync(path.join(dir, 'complete'), `${o.users} accounts in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return path.join(dir, 'data');
}
