/**
 * Benchmarks: `npm run bench` runs them all, `npm run bench -- NAME…` only the named ones.
 * Each benchmark is a function that prints its own figures; add yours to the list below.
 */
import { csiBench } from './csi.js';
import { mamBenchmark } from './mam.js';
import { mucBenchmark } from './muc.js';

export interface Benchmark { name: string; description: string; run(): Promise<void> }

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
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !benchmarks.some((b) => b.name === w));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}\n`);
    process.exit(2);
  }
  for (const b of benchmarks) {
    if (wanted.length > 0 && !wanted.includes(b.name)) continue;
    process.stdout.write(`# ${b.name}: ${b.description}\n`);
    const t0 = performance.now();
    await b.run();
    process.stdout.write(`# ${b.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n\n`);
  }
}

await main();
