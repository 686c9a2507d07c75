/**
 * The load scenarios, with the meaning and default sizes of ../shared/bench/xmppbench.js so that
 * figures compare with its reference table (see bench/run.ts for how they are run):
 *   idle       RSS per idle authenticated connection: warm-up logins, RSS before, N logins with
 *              initial presence, settle, RSS after (summed over the server's PIDs), hold.
 *   login      N full logins (PLAIN or SCRAM-SHA-1), C concurrent connectors; logins per second.
 *   chat-sat   P pairs, both directions, each sender at most `window` messages not yet received,
 *              to the partner's bare JID; delivered messages per second after a warm-up.
 *   chat-rate  the same pairs at a fixed total rate (round-robin senders, 2 ms pacing tick), then a
 *              drain; p50/p95/p99/max latency and messages lost.
 *   muc        O occupants in one fresh room, taking turns; `window` room messages in flight; a
 *              message completes when all O occupants (the sender's echo included) got it.
 *   offline    M messages to one offline user (stored), then the time from its login (connect) and
 *              from its initial presence to the last one delivered.
 * Latency = receive time − send time stamped in the body, same process, monotonic clock (it
 * includes the generator's own event-loop delay). Every result carries the CPU figures.
 */
import { Conn, type Mechanism, type Target } from './conn.js';
import { attrOf, nameOf } from './framer.js';
import { CpuMeter, type CpuFigures, round, rssKiB, Samples, sleep } from './metrics.js';

export interface Common extends Target {
  prefix: string;
  /** Server PIDs whose RSS and CPU are read (several for a multi-process server). */
  pids: number[];
  mucDomain: string;
}

export type Result = Record<string, unknown> & Partial<CpuFigures>;

const user = (o: Common, i: number) => `${o.prefix}${i}`;
const range = (a: number, n: number): number[] => Array.from({ length: n }, (_, k) => a + k);

async function pool<T>(n: number, conc: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  const worker = async () => { while (next < n) { const i = next++; out[i] = await fn(i); } };
  await Promise.all(Array.from({ length: Math.min(conc, n) }, worker));
  return out;
}

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => { t = setTimeout(() => rej(new Error(`${what} timed out`)), ms); })]).finally(() => clearTimeout(t));
}

interface Logins { conns: Conn[]; ms: Samples; errors: number; errorSamples: Record<string, number> }

async function loginMany(o: Common, idx: number[], conc: number, mechanism: Mechanism = 'PLAIN', presence = true): Promise<Logins> {
  const r: Logins = { conns: [], ms: new Samples(), errors: 0, errorSamples: {} };
  await pool(idx.length, conc, async (k) => {
    const t0 = performance.now();
    const { conn, done } = Conn.login(o, user(o, idx[k]!), { mechanism, presence });
    try {
      await timeout(done, 30_000, 'login');
      r.ms.add(performance.now() - t0);
      r.conns.push(conn);
    } catch (e) {
      r.errors++;
      const key = String((e as Error).message).slice(0, 100);
      r.errorSamples[key] = (r.errorSamples[key] ?? 0) + 1;
      conn.destroy();
    }
  });
  return r;
}

async function closeAll(conns: Conn[]): Promise<void> {
  for (const c of conns) c.close();
  await sleep(500);
}

/** Logs in users [first, first+n) in order, failing on any error (setup of the traffic scenarios). */
async function setup(o: Common, first: number, n: number, conc = 50): Promise<Conn[]> {
  const idx = range(first, n);
  const r = await loginMany(o, idx, conc);
  if (r.errors > 0) {
    await closeAll(r.conns);
    throw new Error(`setup: ${r.errors} of ${n} logins failed: ${JSON.stringify(r.errorSamples)}`);
  }
  const by = new Map(r.conns.map((c) => [c.user, c]));
  return idx.map((i) => by.get(user(o, i))!);
}

// ------------------------------------------------------------------------------------------ register

export async function register(o: Common, p: { first: number; n: number; conc: number }): Promise<Result> {
  const t0 = performance.now();
  const counts = { created: 0, exists: 0, errors: 0 };
  const errorSamples: Record<string, number> = {};
  await pool(p.n, p.conc, async (k) => {
    try {
      counts[await timeout(Conn.register(o, user(o, p.first + k)), 30_000, 'registration')]++;
    } catch (e) {
      counts.errors++;
      const key = String((e as Error).message).slice(0, 100);
      errorSamples[key] = (errorSamples[key] ?? 0) + 1;
    }
  });
  return { ...counts, error_samples: errorSamples, per_s: round(p.n / ((performance.now() - t0) / 1000), 1) };
}

// ------------------------------------------------------------------------------------------ idle

export interface IdleOptions { n: number; conc: number; settleS: number; holdS: number; warmup: number; first: number }

export async function idle(o: Common, p: IdleOptions): Promise<Result> {
  if (p.warmup > 0) {
    // So that lazily loaded code and first-use caches do not count as per-connection memory.
    const w = await loginMany(o, range(p.first + p.n, p.warmup), 10);
    await closeAll(w.conns);
    await sleep(2000);
  }
  const before = rssKiB(o.pids);
  const t0 = performance.now();
  const r = await loginMany(o, range(p.first, p.n), p.conc);
  const connectS = (performance.now() - t0) / 1000;
  await sleep(p.settleS * 1000);
  const after = rssKiB(o.pids);
  const m = new CpuMeter(o.pids).start();
  await sleep(p.holdS * 1000);
  const cpu = m.stop();
  const alive = r.conns.filter((c) => !c.closed).length;
  await closeAll(r.conns);
  return {
    n: p.n, connected: r.conns.length, alive_after_hold: alive, errors: r.errors, error_samples: r.errorSamples,
    rss_before_kib: before, rss_after_kib: after,
    kib_per_conn: before !== null && after !== null ? round((after - before) / Math.max(1, r.conns.length), 2) : null,
    connect_s: round(connectS, 2), logins_per_s: round(r.conns.length / connectS, 1),
    idle_server_cpu_pct: cpu.server_cpu_pct, other_cpu_pct: cpu.other_cpu_pct,
  };
}

// ------------------------------------------------------------------------------------------ login

export interface LoginOptions { n: number; conc: number; mechanism: Mechanism; first: number }

export async function login(o: Common, p: LoginOptions): Promise<Result> {
  const m = new CpuMeter(o.pids).start();
  const t0 = performance.now();
  const r = await loginMany(o, range(p.first, p.n), p.conc, p.mechanism);
  const el = (performance.now() - t0) / 1000;
  const cpu = m.stop();
  const rss = rssKiB(o.pids);
  await closeAll(r.conns);
  return {
    n: p.n, conc: p.conc, mechanism: p.mechanism, ok: r.conns.length, errors: r.errors, error_samples: r.errorSamples,
    logins_per_s: round(r.conns.length / el, 1), login_latency: r.ms.stats(), rss_end_kib: rss, ...cpu,
  };
}

// ------------------------------------------------------------------------------------------ chat

export interface ChatOptions { pairs: number; window: number; warmupS: number; durationS: number; drainS: number; pad: number; rate: number; first: number }

/** Body: "t=<send ms>;f=<sender index>[;k=<room message>][;padding]". */
function parseBody(raw: string): { t: number; f: number; k: number } | undefined {
  const open = raw.indexOf('<body');
  if (open < 0) return undefined;
  const b = raw.indexOf('>', open) + 1;
  const end = raw.indexOf('<', b);
  const text = raw.slice(b, end);
  if (!text.startsWith('t=')) return undefined;
  const parts = text.split(';');
  const t = Number(parts[0]!.slice(2));
  const f = Number(parts[1]?.slice(2));
  const k = parts[2]?.startsWith('k=') ? Number(parts[2].slice(2)) : -1;
  return { t, f, k };
}
const padding = (n: number) => (n > 0 ? `;${'x'.repeat(n)}` : '');

export async function chat(o: Common, mode: 'sat' | 'rate', p: ChatOptions): Promise<Result> {
  const conns = await setup(o, p.first, 2 * p.pairs);
  interface Sender { c: Conn; to: string; inflight: number }
  const senders: Sender[] = [];
  for (let i = 0; i < p.pairs; i++) {
    const a = conns[2 * i]!, b = conns[2 * i + 1]!;
    senders.push({ c: a, to: `${b.user}@${o.domain}`, inflight: 0 }, { c: b, to: `${a.user}@${o.domain}`, inflight: 0 });
  }
  const pad = padding(p.pad);
  let sent = 0, received = 0, inWindow = 0, errors = 0, measuring = false, stopping = false;
  const errorSamples: Record<string, number> = {};
  const lat = new Samples();
  const send = (si: number) => {
    const s = senders[si]!;
    s.c.send(`<message type='chat' to='${s.to}' id='m${sent}'><body>t=${performance.now().toFixed(3)};f=${si}${pad}</body></message>`);
    s.inflight++;
    sent++;
  };
  for (const c of conns) {
    c.onStanza = (raw) => {
      if (!raw.startsWith('<message')) { c.answerPing(raw); return; }
      if (attrOf(raw, 'type') === 'error') {
        errors++;
        const k = raw.slice(0, 200);
        if (Object.keys(errorSamples).length < 5) errorSamples[k] = (errorSamples[k] ?? 0) + 1;
        return;
      }
      const b = parseBody(raw);
      if (!b) return;
      received++;
      senders[b.f]!.inflight--;
      if (measuring) { inWindow++; lat.add(performance.now() - b.t); }
      if (mode === 'sat' && !stopping) send(b.f);
    };
  }
  let closedDuring = 0;
  for (const c of conns) c.onClose = () => { closedDuring++; };
  const res: Result = { pairs: p.pairs, senders: senders.length };
  const m = new CpuMeter(o.pids);
  if (mode === 'sat') {
    for (let si = 0; si < senders.length; si++) for (let w = 0; w < p.window; w++) send(si);
    await sleep(p.warmupS * 1000);
    measuring = true;
    m.start();
    await sleep(p.durationS * 1000);
    measuring = false;
    const cpu = m.stop();
    stopping = true;
    Object.assign(res, { window: p.window, msgs_per_s: round(inWindow / cpu.wall_s, 1), delivered_in_window: inWindow, latency: lat.stats(), ...cpu });
    const t = performance.now();
    while (received < sent && performance.now() - t < p.drainS * 1000) await sleep(50);
    // Not lost: the window's backlog (up to senders × window) still queued after the drain.
    Object.assign(res, { sent, delivered: received, undelivered_after_drain: sent - received });
  } else {
    let idx = 0, offered = 0;
    const t0 = performance.now();
    measuring = true;
    m.start();
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const el = (performance.now() - t0) / 1000;
        const target = Math.floor(p.rate * Math.min(el, p.durationS));
        while (offered < target) { send(idx); idx = (idx + 1) % senders.length; offered++; }
        if (el >= p.durationS) { clearInterval(tick); resolve(); }
      }, 2);
    });
    const cpu = m.stop();
    const t = performance.now();
    while (received < sent && performance.now() - t < p.drainS * 1000) await sleep(20);
    measuring = false;
    Object.assign(res, { rate: p.rate, achieved_send_rate: round(offered / cpu.wall_s, 1), sent, delivered: received, lost: sent - received, latency: lat.stats(), ...cpu });
  }
  Object.assign(res, { message_errors: errors, error_samples: errorSamples, connections_closed: closedDuring, rss_end_kib: rssKiB(o.pids) });
  await closeAll(conns);
  return res;
}

// ------------------------------------------------------------------------------------------ muc

export interface MucOptions { occupants: number; window: number; warmupS: number; durationS: number; pad: number; first: number }

function join(c: Conn, room: string, nick: string): Promise<void> {
  return timeout(new Promise<void>((resolve, reject) => {
    c.onStanza = (raw) => {
      if (raw.startsWith('<presence') && attrOf(raw, 'from') === `${room}/${nick}`) {
        if (attrOf(raw, 'type') === 'error') { reject(new Error(`join refused: ${raw.slice(0, 300)}`)); return; }
        if (!/code=['"]110['"]/.test(raw)) return;
        if (/code=['"]201['"]/.test(raw)) {
          // A locked new room (XEP-0045 §10.1.2): accept the default configuration (instant room).
          c.onStanza = (r2) => { if (r2.startsWith('<iq') && attrOf(r2, 'id') === 'cfg') resolve(); else c.answerPing(r2); };
          c.send(`<iq type='set' id='cfg' to='${room}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`);
        } else resolve();
      } else c.answerPing(raw);
    };
    c.send(`<presence to='${room}/${nick}'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`);
  }), 20_000, `join of ${nick}`);
}

export async function muc(o: Common, p: MucOptions): Promise<Result> {
  const room = `bench-${Date.now().toString(36)}-w${p.window}@${o.mucDomain}`;
  const conns = await setup(o, p.first, p.occupants, 25);
  await join(conns[0]!, room, 'n0');
  for (let i = 1; i < conns.length; i += 10) await Promise.all(conns.slice(i, i + 10).map((c, j) => join(c, room, `n${i + j}`)));
  await sleep(1000); // join presence broadcasts settle
  const pad = padding(p.pad);
  const pending = new Map<number, number>();
  let k = 0, inflight = 0, inWindow = 0, complete = 0, sender = 0, measuring = false, stopping = false, errors = 0;
  let errorSample = '';
  const lat = new Samples();
  const post = () => {
    const c = conns[sender]!;
    sender = (sender + 1) % conns.length;
    pending.set(k, 0);
    c.send(`<message type='groupchat' to='${room}' id='g${k}'><body>t=${performance.now().toFixed(3)};f=${sender};k=${k}${pad}</body></message>`);
    k++;
    inflight++;
  };
  for (const c of conns) {
    c.onStanza = (raw) => {
      if (!raw.startsWith('<message')) { c.answerPing(raw); return; }
      if (attrOf(raw, 'type') === 'error') { errors++; errorSample ||= raw.slice(0, 300); return; }
      const b = parseBody(raw);
      if (!b || b.k < 0) return;
      if (measuring) { inWindow++; lat.add(performance.now() - b.t); }
      const d = (pending.get(b.k) ?? 0) + 1;
      if (d >= conns.length) {
        pending.delete(b.k);
        inflight--;
        complete++;
        if (!stopping) while (inflight < p.window) post();
      } else pending.set(b.k, d);
    };
  }
  for (let w = 0; w < p.window; w++) post();
  await sleep(p.warmupS * 1000);
  const m = new CpuMeter(o.pids);
  const c0 = complete;
  measuring = true;
  m.start();
  await sleep(p.durationS * 1000);
  measuring = false;
  const cpu = m.stop();
  stopping = true;
  const msgs = complete - c0;
  const t = performance.now();
  while (inflight > 0 && performance.now() - t < 5000) await sleep(50);
  for (const c of conns) c.send(`<presence type='unavailable' to='${room}/x'/>`);
  await sleep(300);
  const res: Result = {
    occupants: p.occupants, window: p.window, fanout_stanzas_per_s: round(inWindow / cpu.wall_s, 1), room_msgs_per_s: round(msgs / cpu.wall_s, 1),
    delivered_in_window: inWindow, latency: lat.stats(), undelivered_after_drain: inflight, message_errors: errors, error_sample: errorSample,
    ...cpu, rss_end_kib: rssKiB(o.pids),
  };
  await closeAll(conns);
  return res;
}

// ------------------------------------------------------------------------------------------ offline

export interface OfflineOptions { messages: number; pad: number; sender: number; recipient: number; timeoutS: number }

export async function offline(o: Common, p: OfflineOptions): Promise<Result> {
  const [from] = await setup(o, p.sender, 1);
  const to = `${user(o, p.recipient)}@${o.domain}`;
  const pad = padding(p.pad);
  let errors = 0;
  let errorSample = '';
  from!.onStanza = (raw) => {
    if (raw.startsWith('<message') && attrOf(raw, 'type') === 'error') { errors++; errorSample ||= raw.slice(0, 300); }
    else if (nameOf(raw) === 'iq' && attrOf(raw, 'id') === 'barrier') barrier();
    else from!.answerPing(raw);
  };
  let barrier!: () => void;
  const stored = new Promise<void>((r) => { barrier = r; });
  const t0 = performance.now();
  const chunk = 500;
  for (let i = 0; i < p.messages; i += chunk) {
    let batch = '';
    for (let j = i; j < Math.min(p.messages, i + chunk); j++) batch += `<message type='chat' to='${to}' id='o${j}'><body>t=0;f=${j}${pad}</body></message>`;
    from!.send(batch);
    if (from!.socket.writableNeedDrain) await new Promise((r) => from!.socket.once('drain', r));
  }
  // The server handles one stream's stanzas in order: the ping's answer comes after all were taken.
  from!.send(`<iq type='get' id='barrier' to='${o.domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await timeout(stored, p.timeoutS * 1000, 'storing');
  const storeS = (performance.now() - t0) / 1000;
  await sleep(1000); // a server may store after answering (write-behind)

  const m = new CpuMeter(o.pids).start();
  const tConnect = performance.now();
  const { conn, done } = Conn.login(o, user(o, p.recipient), { presence: false, resource: 'offline' });
  await timeout(done, 30_000, 'recipient login');
  let got = 0;
  let last!: () => void;
  const all = new Promise<void>((r) => { last = r; });
  let lastAt = 0;
  conn.onStanza = (raw) => {
    if (raw.startsWith('<message') && raw.includes('<body>t=0;')) {
      got++;
      lastAt = performance.now();
      if (got >= p.messages) last();
    } else conn.answerPing(raw);
  };
  const tPresence = performance.now();
  conn.send('<presence/>');
  let timedOut = false;
  await timeout(all, p.timeoutS * 1000, 'delivery').catch(() => { timedOut = true; });
  const cpu = m.stop();
  const res: Result = {
    messages: p.messages, store_s: round(storeS, 2), stored_per_s: round(p.messages / storeS, 1), send_errors: errors, error_sample: errorSample,
    delivered: got, lost: p.messages - got, timed_out: timedOut,
    login_to_last_s: got ? round((lastAt - tConnect) / 1000, 3) : null, presence_to_last_s: got ? round((lastAt - tPresence) / 1000, 3) : null,
    delivered_per_s: got ? round(got / ((lastAt - tPresence) / 1000), 1) : null, ...cpu,
  };
  await closeAll([from!, conn]);
  return res;
}
