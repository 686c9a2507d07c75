/**
 * The comparison of issue 11: the load scenarios (bench/load/) against Tern, Prosody 0.12 and
 * ejabberd 23.01 in one run, each server pinned to CPU 0 and the generator (its own process) to
 * CPU 1, then a table of Tern's figures beside the peers' with Tern/ejabberd ratios and the
 * issue's targets, and a JSON file of every result. Options: see USAGE in bench/run.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Common, Result } from './load/scenarios.js';
import { DOMAIN, MUC_DOMAIN, PASSWORD, PREFIX, RUN, type RunningServer, type ServerName, startServer } from './servers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const GENERATOR = path.join(HERE, 'load', 'main.js');
const GEN_CPU = process.env.TERN_BENCH_GEN_CPU ?? '1';

export const SCENARIOS = ['idle', 'login', 'chat-sat', 'chat-rate', 'muc', 'offline'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface CompareOptions {
  servers: ServerName[];
  scenarios: Scenario[];
  idleN: number; loginN: number; settleS: number; holdS: number; drainS: number; pairs: number; satS: number; rateS: number; rates: number[]; mucS: number; occupants: number; offlineN: number; warmupS: number;
  out: string;
}

export function options(argv: string[], mode: 'compare' | 'load'): CompareOptions {
  const quick = argv.includes('--quick');
  const get = (k: string): string | undefined => { const i = argv.indexOf(`--${k}`); return i >= 0 ? argv[i + 1] : undefined; };
  const num = (k: string, full: number, q: number): number => Number(get(k) ?? (quick ? q : full));
  const list = <T extends string>(k: string, all: readonly T[], def: readonly T[]): T[] => {
    const v = get(k);
    const out = (v ? v.split(',') : [...def]) as T[];
    for (const x of out) if (!all.includes(x)) throw new Error(`--${k}: unknown ${x} (known: ${all.join(', ')})`);
    return out;
  };
  const allServers = ['tern', 'tern-nondurable', 'prosody', 'ejabberd'] as const;
  return {
    servers: list('servers', allServers, mode === 'load' ? ['tern', 'tern-nondurable'] : ['tern', 'tern-nondurable', 'prosody', 'ejabberd']),
    scenarios: list('scenarios', SCENARIOS, SCENARIOS),
    idleN: num('idle-n', 5000, 1000),
    loginN: num('login-n', 2000, 500),
    pairs: num('pairs', 200, 200),
    satS: num('duration', 15, 3),
    rateS: num('rate-duration', 20, 3),
    rates: (get('rates') ?? '2000,10000').split(',').map(Number),
    mucS: num('muc-duration', 15, 3),
    occupants: num('occupants', 50, 50),
    offlineN: num('offline-n', 10_000, 10_000),
    warmupS: num('warmup', 3, 1),
    settleS: num('settle', 5, 3),
    holdS: num('hold', 5, 1),
    drainS: num('drain', 10, 5),
    out: get('out') ?? path.join(RUN, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  };
}

/** Runs one scenario in a generator process pinned to the generator CPU; its JSON line. */
function generate(scenario: string, common: Common, params: Record<string, number | string>): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn('taskset', ['-c', GEN_CPU, process.execPath, GENERATOR, scenario, JSON.stringify({ common, params })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try { resolve(JSON.parse(line) as Result); } catch { resolve({ error: `generator exited ${code}: ${(out + err).slice(-500)}` }); }
    });
  });
}

interface Entry { server: ServerName; scenario: string; variant: string; params: Record<string, number | string>; result: Result }

const say = (s: string) => process.stdout.write(`${s}\n`);

export async function compare(o: CompareOptions): Promise<Entry[]> {
  // idle also logs in 20 warm-up users after its N; the offline scenario uses the last two.
  const users = Math.max(o.idleN + 20, o.loginN, 2 * o.pairs, o.occupants) + 2;
  const entries: Entry[] = [];
  const t0 = performance.now();
  for (const name of o.servers) {
    let server: RunningServer | undefined;
    const common = (s: RunningServer): Common => ({ host: '127.0.0.1', port: s.port, domain: DOMAIN, password: PASSWORD, prefix: PREFIX, pids: s.pids, mucDomain: MUC_DOMAIN });
    const register = async (port: number, n: number) => {
      const r = await generate('register', { host: '127.0.0.1', port, domain: DOMAIN, password: PASSWORD, prefix: PREFIX, pids: [], mucDomain: MUC_DOMAIN }, { first: 1, n, conc: 50 });
      say(`  registered ${n} accounts on port ${port}: ${JSON.stringify(r)}`);
      if (r.error || Number(r.errors) > 0) throw new Error(`registration failed: ${JSON.stringify(r)}`);
    };
    const fresh = async () => {
      if (server) await server.stop();
      server = await startServer(name, { users, register });
    };
    const run = async (scenario: string, variant: string, params: Record<string, number | string>) => {
      if (!server) await fresh();
      const r = await generate(scenario, common(server!), params);
      entries.push({ server: name, scenario, variant, params, result: r });
      say(`  ${name} ${scenario} ${variant}: ${summary(scenario, r)}`);
      return r;
    };
    say(`# ${name}`);
    try {
      // tern-nondurable (MAM off) exists for the durable/non-durable ratio: 1:1 traffic only.
      const wanted = name === 'tern-nondurable' ? o.scenarios.filter((s) => s === 'chat-sat' || s === 'chat-rate') : o.scenarios;
      for (const sc of wanted) {
        if (sc === 'idle') {
          await fresh();
          await run('idle', `${o.idleN} conns`, { n: o.idleN, conc: 100, settleS: o.settleS, holdS: o.holdS, warmup: 20, first: 1 });
        } else if (sc === 'login') {
          await fresh();
          for (const mechanism of ['PLAIN', 'SCRAM-SHA-1']) await run('login', mechanism, { n: o.loginN, conc: 50, mechanism, first: 1 });
        } else if (sc === 'chat-sat') {
          await run('chat-sat', `${o.pairs} pairs w10`, { pairs: o.pairs, window: 10, warmupS: o.warmupS, durationS: o.satS, drainS: 5, pad: 64, rate: 0, first: 1 });
        } else if (sc === 'chat-rate') {
          for (const rate of o.rates) await run('chat-rate', `${rate}/s`, { pairs: o.pairs, window: 0, warmupS: 0, durationS: o.rateS, drainS: o.drainS, pad: 64, rate, first: 1 });
        } else if (sc === 'muc') {
          for (const window of [1, 10]) await run('muc', `w${window}`, { occupants: o.occupants, window, warmupS: o.warmupS, durationS: o.mucS, pad: 64, first: 1 });
        } else if (sc === 'offline') {
          await run('offline', `${o.offlineN} msgs`, { messages: o.offlineN, pad: 64, sender: users - 1, recipient: users, timeoutS: 120 });
        }
      }
    } catch (e) {
      entries.push({ server: name, scenario: 'start', variant: '', params: {}, result: { error: String((e as Error).message) } });
      say(`  ${name}: ${(e as Error).message}`);
    } finally {
      await server?.stop();
    }
  }
  mkdirSync(path.dirname(o.out), { recursive: true });
  const meta = { date: new Date().toISOString(), host: os.hostname(), cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, node: process.version, options: o, seconds: Math.round((performance.now() - t0) / 1000) };
  writeFileSync(o.out, JSON.stringify({ meta, results: entries }, null, 2));
  say('');
  say(table(entries));
  say(`\nall results: ${o.out} (${meta.seconds} s)`);
  return entries;
}

function summary(scenario: string, r: Result): string {
  if (r.error) return `ERROR ${String(r.error)}`;
  const lat = r.latency as { p50_ms: number; p99_ms: number; max_ms: number } | undefined;
  const cpu = `server ${r.server_cpu_pct ?? '-'}%, gen ${r.gen_cpu_pct ?? '-'}%, other ${r.other_cpu_pct ?? '-'}%`;
  switch (scenario) {
    case 'idle': return `${r.kib_per_conn} KiB/conn (${r.connected}/${r.n} connected, ${r.errors} errors, RSS ${r.rss_before_kib}→${r.rss_after_kib} KiB), other ${r.other_cpu_pct}%`;
    case 'login': return `${r.logins_per_s} logins/s (${r.ok} ok, ${r.errors} errors${Number(r.errors) ? ` ${JSON.stringify(r.error_samples)}` : ''}); ${cpu}`;
    case 'chat-sat': return `${r.msgs_per_s} msgs/s, undelivered after drain ${r.undelivered_after_drain}, errors ${r.message_errors}, closed ${r.connections_closed}; ${cpu}`;
    case 'chat-rate': return `p50 ${lat?.p50_ms} p99 ${lat?.p99_ms} max ${lat?.max_ms} ms, sent ${r.sent} lost ${r.lost}, errors ${r.message_errors}; ${cpu}`;
    case 'muc': return `${r.fanout_stanzas_per_s} stanzas/s (${r.room_msgs_per_s} room msgs/s, p99 ${lat?.p99_ms} ms), errors ${r.message_errors}; ${cpu}`;
    case 'offline': return `${r.delivered}/${r.messages} delivered, login→last ${r.login_to_last_s} s (stored at ${r.stored_per_s}/s, ${r.send_errors} send errors); ${cpu}`;
    default: return JSON.stringify(r);
  }
}

/** `ternAs`: which Tern variant the peers are compared with (like for like: the peers' configs run no MAM). */
type Metric = { label: string; ternAs?: ServerName; scenario: string; variant: (v: string) => boolean; value: (r: Result) => number | null; unit: string; higher: boolean; target: string; check?: (tern: number, ej: number | null, all: Entry[]) => boolean | null };

const lat = (r: Result, k: 'p50_ms' | 'p99_ms') => (r.latency as Record<string, number> | undefined)?.[k] ?? null;
const METRICS: Metric[] = [
  { label: 'KiB per idle connection', scenario: 'idle', variant: () => true, value: (r) => r.kib_per_conn as number, unit: 'KiB', higher: false, target: '< 20 KiB', check: (t) => t < 20 },
  { label: 'logins/s, PLAIN', scenario: 'login', variant: (v) => v === 'PLAIN', value: (r) => r.logins_per_s as number, unit: '/s', higher: true, target: '≥ ejabberd', check: (t, e) => (e === null ? null : t >= e) },
  { label: 'logins/s, SCRAM-SHA-1', scenario: 'login', variant: (v) => v === 'SCRAM-SHA-1', value: (r) => r.logins_per_s as number, unit: '/s', higher: true, target: '≥ ejabberd', check: (t, e) => (e === null ? null : t >= e) },
  { label: '1:1 msgs/s at saturation', ternAs: 'tern-nondurable', scenario: 'chat-sat', variant: () => true, value: (r) => r.msgs_per_s as number, unit: '/s', higher: true, target: '≥ 1.5× ejabberd', check: (t, e) => (e === null ? null : t >= 1.5 * e) },
  { label: 'p50 ms at 2,000/s', ternAs: 'tern-nondurable', scenario: 'chat-rate', variant: (v) => v === '2000/s', value: (r) => lat(r, 'p50_ms'), unit: 'ms', higher: false, target: '' },
  { label: 'p99 ms at 2,000/s', ternAs: 'tern-nondurable', scenario: 'chat-rate', variant: (v) => v === '2000/s', value: (r) => lat(r, 'p99_ms'), unit: 'ms', higher: false, target: '< 2 ms', check: (t) => t < 2 },
  { label: 'p99 ms at 10,000/s', ternAs: 'tern-nondurable', scenario: 'chat-rate', variant: (v) => v === '10000/s', value: (r) => lat(r, 'p99_ms'), unit: 'ms', higher: false, target: '< 10 ms', check: (t) => t < 10 },
  { label: 'MUC fan-out/s, window 1', scenario: 'muc', variant: (v) => v === 'w1', value: (r) => r.fanout_stanzas_per_s as number, unit: '/s', higher: true, target: '≥ 1.5× ejabberd', check: (t, e) => (e === null ? null : t >= 1.5 * e) },
  { label: 'MUC fan-out/s, window 10', scenario: 'muc', variant: (v) => v === 'w10', value: (r) => r.fanout_stanzas_per_s as number, unit: '/s', higher: true, target: '≥ 1.5× ejabberd', check: (t, e) => (e === null ? null : t >= 1.5 * e) },
  { label: 'offline: login→last of N, s', scenario: 'offline', variant: () => true, value: (r) => r.login_to_last_s as number, unit: 's', higher: false, target: '' },
];

const fmt = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? '–' : v >= 100 ? Math.round(v).toLocaleString('en') : String(Math.round(v * 100) / 100));

export function table(entries: Entry[]): string {
  const find = (server: ServerName, m: Metric): Entry | undefined => entries.find((e) => e.server === server && e.scenario === m.scenario && m.variant(e.variant));
  const val = (server: ServerName, m: Metric): number | null => {
    const e = find(server, m);
    if (!e || e.result.error) return null;
    const v = m.value(e.result);
    return v === undefined || v === null || Number.isNaN(v) ? null : v;
  };
  const other = (server: ServerName, m: Metric): string => { const e = find(server, m); return e?.result.other_cpu_pct === undefined ? '' : ` (o${Math.round(Number(e.result.other_cpu_pct))})`; };
  const rows = ['| metric | Tern | Prosody | ejabberd | Tern/ejabberd | target | met |', '|---|---|---|---|---|---|---|'];
  for (const m of METRICS) {
    const ts = m.ternAs ?? 'tern';
    const t = val(ts, m), p = val('prosody', m), e = val('ejabberd', m);
    const ratio = t !== null && e !== null && e !== 0 ? `${(t / e).toFixed(2)}×` : '–';
    const met = t === null || !m.check ? '' : ((r) => (r === null ? '?' : r ? 'yes' : '**no**'))(m.check(t, e, entries));
    rows.push(`| ${m.label}${ts === 'tern' ? '' : ' (Tern: MAM off, as the peers)'} | ${fmt(t)}${other(ts, m)} | ${fmt(p)}${other('prosody', m)} | ${fmt(e)}${other('ejabberd', m)} | ${ratio} | ${m.target} | ${met} |`);
  }
  const m0 = METRICS.find((m) => m.scenario === 'chat-sat')!;
  const d = val('tern', m0), nd = val('tern-nondurable', m0);
  rows.push(`| 1:1 msgs/s, Tern with MAM on / off | ${fmt(d)} / ${fmt(nd)} | | | ${d !== null && nd ? `${(d / nd).toFixed(2)} durable/non-durable` : '–'} | ≥ 0.5 | ${d !== null && nd ? (d / nd >= 0.5 ? 'yes' : '**no**') : ''} |`);
  for (const m of METRICS.filter((x) => x.scenario === 'chat-rate' && x.check)) {
    const v = val('tern', m);
    if (v !== null) rows.push(`| ${m.label}, Tern with MAM on | ${fmt(v)}${other('tern', m)} | | | | ${m.target} | ${m.check!(v, null, entries) ? 'yes' : '**no**'} |`);
  }
  const failures = entries.filter((e) => e.result.error || Number(e.result.lost) > 0 || Number(e.result.undelivered_after_drain) > 0 || Number(e.result.errors) > 0 || Number(e.result.message_errors) > 0);
  const notes = failures.map((e) => `- ${e.server} ${e.scenario} ${e.variant}: ${e.result.error ?? `lost ${e.result.lost ?? 0}, undelivered after drain ${e.result.undelivered_after_drain ?? 0}, errors ${e.result.errors ?? e.result.message_errors ?? 0} ${JSON.stringify(e.result.error_samples ?? e.result.error_sample ?? '')}`}`);
  return `${rows.join('\n')}\n(oN: machine-wide other CPU, % of one core, during that measurement; a large N means a contaminated run)${notes.length ? `\n\nproblems:\n${notes.join('\n')}` : ''}`;
}
