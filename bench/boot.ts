/**
 * Starts a real Tern for a benchmark (dist/server/cli.js, as `npm start` runs it) in a temp dir, on
 * the plaintext loopback listener only (so socket bytes are XML bytes), and stops it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../test/harness/clients.js';

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
