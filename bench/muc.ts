/**
 * MUC fan-out (XEP-0045 §7.4): stanzas per second a real Tern delivers from one room to 50
 * occupants. A real server (dist/server/cli.js) on the plaintext loopback listener; 50 users
 * register, log in and enter one room; then 5 of them send 200 groupchat messages each as fast as
 * the sockets take them, and we count the <message/> stanzas every occupant's socket receives
 * (50 × 1000 = 50,000 deliveries), from the first send to the last delivery. The room's per-occupant
 * rate limit is lifted for the run. The clients run in this process on the same machine, so the
 * figure is a lower bound for the server alone.
 *
 * Alone: `npm run build && node dist/bench/muc.js`. For bench/run.ts: `mucBenchmark`.
 */
import type net from 'node:net';
import { pathToFileURL } from 'node:url';
import { RawClient } from '../test/harness/clients.js';
import { bootTern, registeredClient } from './boot.js';

const ROOM = 'bench@conference.localhost';

export interface MucBenchOptions { occupants?: number; senders?: number; perSender?: number }
export interface MucBenchResult { occupants: number; messages: number; deliveries: number; seconds: number; stanzasPerSecond: number; joinSeconds: number }


async function occupant(port: number, i: number): Promise<RawClient> {
  const name = `occ${i}`;
  const c = await registeredClient(port, name);
  c.write(`<presence/><presence to='${ROOM}/n${i}'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`);
  await c.inbox.next((el) => el.name === 'message' && el.getChild('subject') !== undefined, 10_000, 'room subject (entered)');
  return c;
}

/** Counts `</message>` in what arrives from now on, without parsing (the clients must not be the bottleneck). */
function countMessages(c: RawClient, onCount: () => void): void {
  const socket = (c as unknown as { socket: net.Socket }).socket;
  socket.removeAllListeners('data');
  let tail = '';
  socket.on('data', (d: Buffer) => {
    const s = tail + d.toString('latin1');
    let at = s.indexOf('</message>');
    while (at >= 0) {
      onCount();
      at = s.indexOf('</message>', at + 10);
    }
    tail = s.slice(-9);
  });
}

export async function mucBench(opts: MucBenchOptions = {}): Promise<MucBenchResult> {
  const n = opts.occupants ?? 50;
  const senders = opts.senders ?? 5;
  const perSender = opts.perSender ?? 200;
  const server = await bootTern('muc', { muc: { message_rate: 10_000, message_burst: 100_000, max_occupants: 1000 } }, process.env.MUC_BENCH_LOG ?? 'info');
  const { port } = server;
  const clients: RawClient[] = [];
  try {
    const t0 = performance.now();
    // The first one creates the room (groupchat 1.0 style would make it instant; the MUC form
    // makes it locked, so accept the default configuration: an instant room, §10.1.2).
    const first = await RawClient.connect(port);
    clients.push(first);
    await first.openStream();
    first.write(`<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>owner</username><password>bench-pass-owner</password></query></iq>`);
    await first.inbox.next((el) => el.attrs.id === 'reg', 10_000, 'registration');
    await first.authPlain('owner', 'bench-pass-owner');
    first.write(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>`);
    await first.inbox.next((el) => el.attrs.id === 'bind', 5000, 'bind');
    first.write(`<presence to='${ROOM}/owner'/>`);
    await first.inbox.next((el) => el.name === 'message' && el.getChild('subject') !== undefined, 10_000, 'room created');
    for (let i = 1; i < n; i++) clients.push(await occupant(port, i));
    const joinSeconds = (performance.now() - t0) / 1000;

    const messages = senders * perSender;
    const expected = messages * n;
    let delivered = 0;
    let resolveAll!: () => void;
    const all = new Promise<void>((r) => { resolveAll = r; });
    for (const c of clients) countMessages(c, () => { if (++delivered >= expected) resolveAll(); });
    const start = performance.now();
    for (let s = 0; s < senders; s++) {
      const c = clients[s]!;
      let batch = '';
      for (let m = 0; m < perSender; m++) batch += `<message to='${ROOM}' type='groupchat' id='s${s}m${m}'><body>message ${m} from sender ${s}, a line of ordinary chat</body></message>`;
      c.write(batch);
    }
    const timeout = new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`only ${delivered} of ${expected} deliveries within 120 s`)), 120_000).unref());
    await Promise.race([all, timeout]);
    const seconds = (performance.now() - start) / 1000;
    return { occupants: n, messages, deliveries: delivered, seconds, stanzasPerSecond: delivered / seconds, joinSeconds };
  } finally {
    for (const c of clients) c.destroy();
    await server.stop();
  }
}

async function run(): Promise<void> {
  const r = await mucBench();
  process.stdout.write(`${r.occupants} occupants entered one room in ${r.joinSeconds.toFixed(1)} s\n`);
  process.stdout.write(`${r.messages} groupchat messages → ${r.deliveries} deliveries in ${r.seconds.toFixed(2)} s: ${Math.round(r.stanzasPerSecond)} stanzas/s delivered\n`);
}

export const mucBenchmark = { name: 'muc', description: 'MUC fan-out: stanzas/s delivered to 50 occupants of one room (XEP-0045)', run };

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await run();
