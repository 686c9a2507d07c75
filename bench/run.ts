/**
 * Benchmarks: `npm run bench` runs the in-process ones (mam, csi, muc), `npm run bench -- NAME…`
 * only the named ones. Each benchmark is a function that prints its own figures; add yours below.
 *
 * The load comparison of issue 11 (bench/compare.ts, generator in bench/load/, servers in
 * bench/servers.ts and bench/peers/), never part of `npm test`:
 *   npm run bench -- compare [options]   Tern (MAM on; MAM off for 1:1 traffic), Prosody 0.12 and
 *                                        ejabberd 23.01, each pinned to CPU 0, generator on CPU 1;
 *                                        table with Tern/ejabberd ratios and the targets, plus JSON
 *                                        (~12 min in full, ~3 min with --quick)
 *   npm run bench -- load [options]      the same scenarios against Tern only (MAM on and off)
 * Options:
 *   --quick                  short durations and sizes (idle 1,000 conns, 500 logins, 3 s windows)
 *   --servers a,b            of tern, tern-nondurable, prosody, ejabberd
 *   --scenarios a,b          of idle, login, chat-sat, chat-rate, muc, offline
 *   --idle-n N (5000)  --login-n N (2000)  --pairs N (200)  --occupants N (50)  --offline-n N (10000)
 *   --duration S (15, chat-sat)  --rate-duration S (20)  --rates 2000,10000  --muc-duration S (15)
 *   --warmup S (3)  --settle S (5)  --hold S (5)  --drain S (10)  --out FILE (default $TERN_BENCH_RUN/results-DATE.json)
 * Environment: TERN_BENCH_RUN (/tmp/tern-bench-run: server state, account templates, results),
 * TERN_BENCH_SERVER_CPU (0), TERN_BENCH_GEN_CPU (1), TERN_BENCH_LOG (Tern's log level, warn).
 * Ports: Tern 36222, Prosody 16222, ejabberd 26222 (node ternbench@localhost), loopback only.
 */
import { compare, options } from './compare.js';
import { csiBench } from './csi.js';
import { mamBenchmark } from './mam.js';
import { mucBenchmark } from './muc.js';

export interface Benchmark { name: string; description: string; run(argv: string[]): Promise<void>; /** Only when named. */ explicit?: boolean }

const csiBenchmark: Benchmark = {
  name: 'csi',
  description: 'XEP-0352: bytes an inactive phone receives with and without client state indication',
  run: async () => {
    const r = await csiBench();
    process.stdout.write(`${r.title}\n${r.lines.map((l) => `  ${l}\n`).join('')}`);
  },
};

const benchmarks: Benchmark[] = [
  mamBenchmark,
  csiBenchmark,
  mucBenchmark,
  {
    name: 'compare', explicit: true,
    description: 'issue 11: load scenarios against Tern, Prosody and ejabberd in one run, with ratios and targets',
    run: async (argv) => { await compare(options(argv, 'compare')); },
  },
  {
    name: 'load', explicit: true,
    description: 'issue 11: the load scenarios against Tern only (MAM on; MAM off for 1:1 traffic)',
    run: async (argv) => { await compare(options(argv, 'load')); },
  },
];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // Names are the arguments before the first --option.
  const first = argv.findIndex((a) => a.startsWith('--'));
  const wanted = first < 0 ? argv : argv.slice(0, first);
  const unknown = wanted.filter((w) => !benchmarks.some((b) => b.name === w));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}\n`);
    process.exit(2);
  }
  for (const b of benchmarks) {
    if (wanted.length > 0 ? !wanted.includes(b.name) : b.explicit) continue;
    process.stdout.write(`# ${b.name}: ${b.description}\n`);
    const t0 = performance.now();
    await b.run(argv);
    process.stdout.write(`# ${b.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n\n`);
  }
}

await main();
