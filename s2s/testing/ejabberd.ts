/**
 * A real ejabberd (Debian's 23.01) as a federation peer for tests, in the foreground under our
 * PID with its own config, spool, logs, Erlang node name and cookie (as /work/shared/peers
 * describes). ejabberd resolves s2s domains by DNS only, through Erlang's resolver, so its inetrc
 * points at a loopback DNS stub that knows the Tern domains.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './prosody.js';

const EPMD_PORT = 4369;

export function ejabberdInstalled(): boolean {
  return existsSync('/usr/sbin/ejabberdctl');
}

export interface EjabberdOptions {
  domain: string;
  /** PEM key + certificate chain for the domain. */
  pem: string;
  /** CA file for verifying peers (SASL EXTERNAL); without it, dialback. */
  caFile?: string;
  /** Certificates only: no dialback module, STARTTLS required. */
  secureAuth: boolean;
  dnsPort: number;
}

export interface Ejabberd {
  domain: string;
  port: number;
  s2sPort: number;
  start(): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

export async function makeEjabberd(o: EjabberdOptions & { s2sPort?: number }): Promise<Ejabberd> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tern-ejabberd-'));
  const c2s = await freePort();
  const s2s = o.s2sPort ?? await freePort();
  for (const d of ['etc', 'spool', 'logs']) mkdirSync(path.join(dir, d));
  const pemFile = path.join(dir, 'etc', 'server.pem');
  writeFileSync(pemFile, o.pem, { mode: 0o600 });
  const node = `tern${process.pid}${Math.floor(Math.random() * 1e6)}`;
  writeFileSync(path.join(dir, 'etc', 'ejabberdctl.cfg'), [
    `ERLANG_NODE=${node}@localhost`,
    `ERL_OPTIONS="-setcookie ${node}_cookie"`,
    'ERL_EPMD_ADDRESS=127.0.0.1',
    'EJABBERD_BYPASS_WARNINGS=true',
    'EXEC_CMD=as_current_user',
    '',
  ].join('\n'));
  writeFileSync(path.join(dir, 'etc', 'inetrc'), [
    '{lookup,["file","native"]}.',
    '{host,{127,0,0,1}, ["localhost"]}.',
    '{resolv_conf, ""}.',
    `{nameserver, {127,0,0,1}, ${o.dnsPort}}.`,
    '{timeout, 2000}.',
    '{retry, 1}.',
    '',
  ].join('\n'));
  const yml = `loglevel: info
log_rotate_count: 0
hosts:
  - ${o.domain}
certfiles:
  - ${JSON.stringify(pemFile)}
${o.caFile ? `ca_file: ${JSON.stringify(o.caFile)}\n` : ''}listen:
  -
    port: ${c2s}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    shaper: none
    access: c2s
    starttls: true
    starttls_required: false
  -
    port: ${s2s}
    ip: "127.0.0.1"
    module: ejabberd_s2s_in
outgoing_s2s_families: [ipv4]
s2s_use_starttls: ${o.secureAuth ? 'required' : 'optional'}
s2s_dns_timeout: 5
s2s_access: all
auth_method: internal
auth_password_format: scram
default_db: mnesia
registration_timeout: infinity
acl:
  loopback:
    ip:
      - 127.0.0.0/8
access_rules:
  c2s:
    allow: all
  register:
    allow: all
  trusted_network:
    allow: loopback
shaper_rules:
  c2s_shaper: none
  s2s_shaper: none
modules:
  mod_disco: {}
  mod_ping: {}
  mod_register:
    ip_access: trusted_network
    access: register
  mod_roster: {}
${o.secureAuth ? '' : '  mod_s2s_dialback: {}\n'}`;
  writeFileSync(path.join(dir, 'etc', 'ejabberd.yml'), yml);
  let epmd: ChildProcess | undefined;
  const e: Ejabberd & { process?: ChildProcess } = {
    domain: o.domain, port: c2s, s2sPort: s2s,
    start: async () => {
      // Erlang distribution needs epmd, which erl would otherwise leave running as a daemon: when
      // none is running we start one in the foreground as our own child, and stop it afterwards.
      if (!(await accepts(EPMD_PORT))) {
        epmd = spawn('epmd', ['-address', '127.0.0.1'], { stdio: 'ignore' });
        for (let i = 0; i < 50 && !(await accepts(EPMD_PORT)); i++) await new Promise((r) => setTimeout(r, 50));
      }
      const child = spawn('ejabberdctl', [
        '--config-dir', path.join(dir, 'etc'), '--config', path.join(dir, 'etc', 'ejabberd.yml'),
        '--ctl-config', path.join(dir, 'etc', 'ejabberdctl.cfg'), '--spool', path.join(dir, 'spool'),
        '--logs', path.join(dir, 'logs'), 'foreground',
      ], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      e.process = child;
      let out = '';
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`ejabberd exited with ${child.exitCode}: ${out}\n${e.log()}`);
        if (await accepts(c2s) && await accepts(s2s)) return;
        if (Date.now() > deadline) throw new Error(`ejabberd did not start: ${out}\n${e.log()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    log: () => {
      try {
        return readFileSync(path.join(dir, 'logs', 'ejabberd.log'), 'utf8');
      } catch {
        return '';
      }
    },
    stop: async () => {
      const child = e.process;
      if (child && child.exitCode === null && child.signalCode === null) {
        // Its own process group (detached): the shell script, beam.smp and its helpers, nothing else.
        // beam.smp outlives the script by a moment, so the wait is for the whole group.
        const group = -child.pid!;
        const signal = (sig: NodeJS.Signals | 0) => {
          try {
            process.kill(group, sig);
            return true;
          } catch {
            return false;
          }
        };
        signal('SIGTERM');
        for (let i = 0; signal(0); i++) {
          if (i === 100) signal('SIGKILL');
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      if (epmd && epmd.exitCode === null) {
        const gone = new Promise((r) => epmd!.once('exit', r));
        epmd.kill('SIGTERM');
        await gone;
      }
      if (!process.env.TERN_KEEP_EJABBERD) rmSync(dir, { recursive: true, force: true });
    },
  };
  return e;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}
