/** Runs Debian's Kamailio in the foreground as a plain SIP proxy on loopback; stopped by its PID. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Kamailio { process: ChildProcess; log: () => string; stop(): Promise<void> }

/**
 * A stateful proxy (tm) on `port` (UDP and TCP): requests for `ternDomain` go to Tern's SIP port,
 * everything else to `otherPort` (a sipp UAS standing in for a SIP domain).
 */
export async function startKamailio(o: { port: number; ternDomain: string; ternPort: number; otherPort: number }): Promise<Kamailio> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tern-kamailio-'));
  const cfg = path.join(dir, 'kamailio.cfg');
  writeFileSync(cfg, `#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
listen=udp:127.0.0.1:${o.port}
listen=tcp:127.0.0.1:${o.port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "maxfwd.so"
loadmodule "pv.so"
loadmodule "xlog.so"
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  xlog("L_INFO", "relaying $rm $ru\\n");
  if ($rd == "${o.ternDomain}") { $du = "sip:127.0.0.1:${o.ternPort}"; } else { $du = "sip:127.0.0.1:${o.otherPort}"; }
  if (!t_relay()) { sl_reply_error(); }
  exit;
}
`);
  const child = spawn(process.env.KAMAILIO ?? 'kamailio', ['-DD', '-E', '-f', cfg, '-Y', dir, '-P', path.join(dir, 'kamailio.pid')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`kamailio did not start\n${out}`)), 15_000);
    const on = (d: Buffer) => {
      out += d.toString();
      if (out.includes('processes (at least)')) {
        clearTimeout(t);
        setTimeout(resolve, 300);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`kamailio exited with ${code}\n${out}`));
    });
  });
  return {
    process: child,
    log: () => out,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => { if (child.exitCode === null) child.kill('SIGKILL'); }, 5000).unref();
    }),
  };
}
