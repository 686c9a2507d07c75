/**
 * The servers a comparison runs against, each started fresh, pinned to CPU 0 (`taskset -c 0`),
 * listening on loopback only, with the same accounts (u1…uN, one password) and domain bench.local:
 *   tern      dist/server/cli.js with a benchmark config (bootTernForLoad in boot.ts)
 *   prosody   Debian's Prosody 0.12 with bench/peers/prosody.cfg.lua; accounts written as files,
 *             as `prosodyctl register` would (internal_plain storage)
 *   ejabberd  Debian's ejabberd 23.01 with bench/peers/ejabberd.yml; accounts by in-band
 *             registration once (its mnesia spool is kept between runs in the run directory)
 * Runtime state lives under $TERN_BENCH_RUN (default /tmp/tern-bench-run).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootTernForLoad } from './boot.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** bench/peers, from dist/bench or from bench/. */
export const PEERS = HERE.endsWith(`${path.sep}dist${path.sep}bench`) ? path.join(HERE, '../../bench/peers') : path.join(HERE, 'peers');
export const RUN = process.env.TERN_BENCH_RUN ?? '/tmp/tern-bench-run';
export const DOMAIN = 'bench.local';
export const MUC_DOMAIN = `conference.${DOMAIN}`;
/** At least 8 characters: Tern's default password policy. */
export const PASSWORD = 'bench-password';
export const PREFIX = 'u';
export const SERVER_CPU = process.env.TERN_BENCH_SERVER_CPU ?? '0';

export type ServerName = 'tern' | 'tern-nondurable' | 'prosody' | 'ejabberd';

export interface RunningServer {
  name: ServerName;
  port: number;
  /** Whose RSS and CPU count. */
  pids: number[];
  stop(): Promise<void>;
}

export interface StartOptions { users: number; /** Registers accounts on a server that needs it (ejabberd), through the generator. */ register(port: number, n: number): Promise<void> }

export async function waitForPort(port: number, ms: number, alive: () => boolean = () => true): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive()) throw new Error(`server exited before listening on ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listens on ${port} after ${ms} ms`);
}

async function portFree(port: number): Promise<void> {
  const busy = await new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
  if (busy) throw new Error(`port ${port} is already in use (a server of an earlier run still up? see ${RUN})`);
}

/** Spawns `cmd` pinned to the server CPU with a raised open-files limit; the PID is the command's own. */
export function spawnPinned(cmd: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; log: string }): ChildProcess {
  const quoted = cmd.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return spawn('bash', ['-c', `ulimit -n 20000 && exec taskset -c ${SERVER_CPU} ${quoted} >>'${opts.log}' 2>&1`], {
    cwd: opts.cwd, env: opts.env ?? process.env, stdio: 'ignore',
  });
}

async function stopChild(proc: ChildProcess, graceMs = 10_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

// ------------------------------------------------------------------------------------------ Prosody

const PROSODY_PORT = 16222;

export async function startProsody(o: StartOptions): Promise<RunningServer> {
  const run = path.join(RUN, 'prosody');
  await portFree(PROSODY_PORT);
  rmSync(run, { recursive: true, force: true });
  const accounts = path.join(run, 'data', 'bench%2elocal', 'accounts');
  mkdirSync(accounts, { recursive: true });
  // What `prosodyctl register` writes for internal_plain (0.08 s a call that way; instant here).
  for (let i = 1; i <= o.users; i++) writeFileSync(path.join(accounts, `${PREFIX}${i}.dat`), `return {\n\t["password"] = "${PASSWORD}";\n};\n`);
  const proc = spawnPinned(['/usr/bin/prosody', '-F', '--config', path.join(PEERS, 'prosody.cfg.lua')], {
    env: { ...process.env, TERN_BENCH_RUN: run, TERN_BENCH_PORT: String(PROSODY_PORT) }, log: path.join(run, 'stdout.log'),
  });
  await waitForPort(PROSODY_PORT, 15_000, () => proc.exitCode === null).catch((e) => {
    throw new Error(`${(e as Error).message}; see ${run}/stdout.log: ${readTail(path.join(run, 'stdout.log'))}`);
  });
  return { name: 'prosody', port: PROSODY_PORT, pids: [proc.pid!], stop: () => stopChild(proc) };
}

function readTail(file: string): string {
  try { return readFileSync(file, 'utf8').slice(-800); } catch { return '(no log)'; }
}

// ------------------------------------------------------------------------------------------ ejabberd

const EJABBERD_PORT = 26222;

function ejabberdctl(run: string, ...args: string[]): string[] {
  return ['/usr/sbin/ejabberdctl', '--config-dir', PEERS, '--config', path.join(PEERS, 'ejabberd.yml'), '--ctl-config', path.join(PEERS, 'ejabberdctl.cfg'),
    '--spool', path.join(run, 'db'), '--logs', run, ...args];
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  let kids: string[] = [];
  try {
    kids = execFileSync('bash', ['-c', `cat /proc/${pid}/task/*/children 2>/dev/null`]).toString().split(/\s+/).filter(Boolean);
  } catch { /* gone */ }
  for (const k of kids) out.push(Number(k), ...descendants(Number(k)));
  return out;
}

export async function startEjabberd(o: StartOptions): Promise<RunningServer> {
  const run = path.join(RUN, 'ejabberd');
  await portFree(EJABBERD_PORT);
  mkdirSync(path.join(run, 'db'), { recursive: true });
  const proc = spawnPinned(ejabberdctl(run, 'foreground'), { log: path.join(run, 'stdout.log') });
  let beam: number | undefined;
  const until = Date.now() + 60_000;
  while (beam === undefined && Date.now() < until) {
    // beam.smp among our own child's descendants, never by a global name.
    beam = descendants(proc.pid!).find((p) => { try { return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'beam.smp'; } catch { return false; } });
    if (proc.exitCode !== null) break;
    if (beam === undefined) await new Promise((r) => setTimeout(r, 300));
  }
  if (beam === undefined) throw new Error(`ejabberd did not start; see ${run}/stdout.log: ${readTail(path.join(run, 'stdout.log'))}`);
  await waitForPort(EJABBERD_PORT, 60_000, () => proc.exitCode === null);
  const marker = path.join(run, `registered-${o.users}`);
  if (!existsSync(marker)) {
    await o.register(EJABBERD_PORT, o.users);
    writeFileSync(marker, new Date().toISOString());
  }
  const beamPid = beam;
  return {
    name: 'ejabberd', port: EJABBERD_PORT, pids: [beamPid],
    stop: async () => {
      try { execFileSync(ejabberdctl(run, 'stop')[0]!, ejabberdctl(run, 'stop').slice(1), { stdio: 'ignore', timeout: 30_000 }); } catch { proc.kill('SIGTERM'); }
      const t0 = Date.now();
      while (Date.now() - t0 < 30_000) {
        try { process.kill(beamPid, 0); } catch { break; }
        await new Promise((r) => setTimeout(r, 300));
      }
      try { process.kill(beamPid, 'SIGKILL'); } catch { /* gone */ }
      await stopChild(proc, 2000);
    },
  };
}

// ------------------------------------------------------------------------------------------ Tern

export const TERN_PORT = 36222;

export async function startTern(o: StartOptions & { durable: boolean }): Promise<RunningServer> {
  await portFree(TERN_PORT);
  const s = await bootTernForLoad({ port: TERN_PORT, domain: DOMAIN, users: o.users, prefix: PREFIX, password: PASSWORD, durable: o.durable, cpu: SERVER_CPU, runDir: path.join(RUN, 'tern') });
  return { name: o.durable ? 'tern' : 'tern-nondurable', port: TERN_PORT, pids: [s.pid], stop: s.stop };
}

export function startServer(name: ServerName, o: StartOptions): Promise<RunningServer> {
  switch (name) {
    case 'tern': return startTern({ ...o, durable: true });
    case 'tern-nondurable': return startTern({ ...o, durable: false });
    case 'prosody': return startProsody(o);
    case 'ejabberd': return startEjabberd(o);
  }
}
