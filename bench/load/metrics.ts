/**
 * What the generator measures besides its own counts: a server's RSS and CPU from /proc/PID/status
 * and /proc/PID/stat (summed over several PIDs, for multi-process servers), the generator's own CPU
 * (process.cpuUsage), and machine-wide busy CPU from /proc/stat, so that CPU used by neither (other
 * tenants of a shared box) shows as `other_cpu_pct` and a contaminated run is visible.
 */
import { readFileSync } from 'node:fs';

const HZ = 100; // USER_HZ on Linux

export function rssKiB(pids: number[]): number | null {
  if (pids.length === 0) return null;
  let total = 0;
  for (const pid of pids) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (!m) return null;
    total += Number(m[1]);
  }
  return total;
}

function cpuTicks(pids: number[]): number | null {
  if (pids.length === 0) return null;
  let total = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
  }
  return total;
}

function machine(): Map<string, { busy: number; total: number }> {
  const out = new Map<string, { busy: number; total: number }>();
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const [name, ...rest] = line.split(/\s+/);
    const v = rest.slice(0, 8).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    out.set(name!, { busy: total - v[3]! - v[4]!, total });
  }
  return out;
}

export interface CpuFigures {
  wall_s: number;
  /** Percent of one core. */
  server_cpu_pct: number | null;
  gen_cpu_pct: number;
  cpu0_busy_pct: number | null;
  cpu1_busy_pct: number | null;
  /** Machine-wide busy CPU that is neither the server's nor the generator's. */
  other_cpu_pct: number;
}

export class CpuMeter {
  private t0 = 0;
  private self0 = process.cpuUsage();
  private srv0: number | null = null;
  private sys0 = machine();

  constructor(private readonly pids: number[]) {}

  start(): this {
    this.t0 = performance.now();
    this.self0 = process.cpuUsage();
    this.srv0 = cpuTicks(this.pids);
    this.sys0 = machine();
    return this;
  }

  stop(): CpuFigures {
    const wall = (performance.now() - this.t0) / 1000;
    const self = process.cpuUsage(this.self0);
    const srv1 = cpuTicks(this.pids);
    const sys1 = machine();
    const gen = (100 * (self.user + self.system)) / 1e6 / wall;
    const srv = this.srv0 !== null && srv1 !== null ? (100 * (srv1 - this.srv0)) / HZ / wall : null;
    const busy = (k: string): number | null => {
      const a = this.sys0.get(k), b = sys1.get(k);
      return a && b ? (100 * (b.busy - a.busy)) / HZ / wall : null;
    };
    const all = busy('cpu') ?? 0;
    return {
      wall_s: round(wall, 2),
      server_cpu_pct: srv === null ? null : round(srv, 1),
      gen_cpu_pct: round(gen, 1),
      cpu0_busy_pct: round(busy('cpu0') ?? NaN, 1),
      cpu1_busy_pct: round(busy('cpu1') ?? NaN, 1),
      other_cpu_pct: round(Math.max(0, all - gen - (srv ?? 0)), 1),
    };
  }
}

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export interface Latency { n: number; p50_ms: number | null; p95_ms: number | null; p99_ms: number | null; max_ms: number | null; mean_ms: number | null }

/** Latency samples, bounded (reservoir sampling past `cap`). */
export class Samples {
  private readonly a: number[] = [];
  private seen = 0;
  constructor(private readonly cap = 2_000_000) {}

  add(v: number): void {
    this.seen++;
    if (this.a.length < this.cap) this.a.push(v);
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.cap) this.a[j] = v;
    }
  }

  stats(): Latency {
    const s = Float64Array.from(this.a).sort();
    const at = (p: number): number | null => (s.length === 0 ? null : round(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!, 3));
    let sum = 0;
    for (const v of s) sum += v;
    return { n: s.length, p50_ms: at(50), p95_ms: at(95), p99_ms: at(99), max_ms: s.length ? round(s[s.length - 1]!, 3) : null, mean_ms: s.length ? round(sum / s.length, 3) : null };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
