/**
 * A real DNS server for ENUM tests: Debian's dnsmasq (package dnsmasq-base) on a free loopback
 * port (UDP and TCP), authoritative (`--local`) for the given zones, serving the given NAPTR records. Started by
 * the test, stopped by its PID.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import net from 'node:net';

export interface Naptr { name: string; order: number; preference: number; flags: string; service: string; regexp: string; replacement?: string }
export interface Dnsmasq { port: number; server: string; stop(): Promise<void> }

/** A loopback port free for both UDP and TCP: dnsmasq binds both, and fails if either is taken. */
async function freeDnsPort(): Promise<number> {
  for (;;) {
    const u = dgram.createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
    const port = u.address().port;
    const tcpFree = await new Promise<boolean>((r) => {
      const t = net.createServer();
      t.once('error', () => r(false));
      t.listen(port, '127.0.0.1', () => t.close(() => r(true)));
    });
    await new Promise<void>((r) => u.close(() => r()));
    if (tcpFree) return port;
  }
}

export async function startDnsmasq(zones: string[], records: Naptr[]): Promise<Dnsmasq> {
  // Another process can still take the port between the check and dnsmasq's bind: try again then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freeDnsPort(), zones, records);
    } catch (err) {
      if (attempt >= 3 || !/in use/i.test(String(err))) throw err;
    }
  }
}

async function startOn(port: number, zones: string[], records: Naptr[]): Promise<Dnsmasq> {
  const args = ['--no-daemon', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', `--port=${port}`,
    '--listen-address=127.0.0.1', '--bind-interfaces', ...zones.map((z) => `--local=/${z}/`),
    ...records.map((r) => `--naptr-record=${[r.name, r.order, r.preference, r.flags, r.service, r.regexp, ...(r.replacement ? [r.replacement] : [])].join(',')}`)];
  const proc = spawn('/usr/sbin/dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const server = `127.0.0.1:${port}`;
  const probe = new Resolver({ timeout: 200, tries: 1 });
  probe.setServers([server]);
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`dnsmasq exited: ${err}`);
    try {
      await probe.resolveNaptr(`probe.${zones[0]}`);
      break;
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOTFOUND' || (e as { code?: string }).code === 'ENODATA') break;
      if (i > 50) throw new Error(`dnsmasq does not answer: ${String(e)} ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    server,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await done;
    },
  };
}
