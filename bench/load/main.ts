/**
 * The load generator as its own process, so that it can be pinned to a CPU of its own
 * (`taskset -c 1 node dist/bench/load/main.js SCENARIO 'JSON'`): JSON = { common, params } as
 * scenarios.ts takes them. Prints exactly one JSON line (the result, or { error }) on stdout.
 */
import type { Mechanism } from './conn.js';
import * as sc from './scenarios.js';

type Params = Record<string, number | string>;

const [scenario, json] = process.argv.slice(2);
const { common, params } = JSON.parse(json ?? '{}') as { common: sc.Common; params: Params };
const num = (k: string): number => Number(params[k]);

async function run(): Promise<sc.Result> {
  switch (scenario) {
    case 'register': return sc.register(common, { first: num('first'), n: num('n'), conc: num('conc') });
    case 'idle': return sc.idle(common, { n: num('n'), conc: num('conc'), settleS: num('settleS'), holdS: num('holdS'), warmup: num('warmup'), first: num('first') });
    case 'login': return sc.login(common, { n: num('n'), conc: num('conc'), mechanism: params.mechanism as Mechanism, first: num('first') });
    case 'chat-sat':
    case 'chat-rate':
      return sc.chat(common, scenario === 'chat-sat' ? 'sat' : 'rate', {
        pairs: num('pairs'), window: num('window'), warmupS: num('warmupS'), durationS: num('durationS'), drainS: num('drainS'), pad: num('pad'), rate: num('rate'), first: num('first'),
      });
    case 'muc': return sc.muc(common, { occupants: num('occupants'), window: num('window'), warmupS: num('warmupS'), durationS: num('durationS'), pad: num('pad'), first: num('first') });
    case 'offline': return sc.offline(common, { messages: num('messages'), pad: num('pad'), sender: num('sender'), recipient: num('recipient'), timeoutS: num('timeoutS') });
    default: throw new Error(`unknown scenario ${scenario}`);
  }
}

const hard = setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ error: 'generator hard timeout' })}\n`);
  process.exit(3);
}, Number(process.env.BENCH_GEN_TIMEOUT_S ?? 300) * 1000);
hard.unref();

try {
  const r = await run();
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ error: String((e as Error).message ?? e) })}\n`);
  process.exit(1);
}
