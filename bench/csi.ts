/**
 * XEP-0352 benchmark: bytes a phone receives while its user is not looking, with CSI inactive vs.
 * active. A real Tern (dist/server/cli.js, as `npm start` runs it) on the plaintext loopback
 * listener, so socket bytes are the XML bytes. Alice has 30 mutually subscribed contacts who change
 * presence every ~10 s, five of whom type (composing → paused) and now and then send a message,
 * over a simulated period replayed quickly; the same seeded sequence runs once with Alice active
 * and once with her inactive (then <active/> at the end, counted too).
 *
 * Alone: `npm run build && node dist/bench/csi.js`. For a runner: `csiBench()` returns the figures.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RawClient } from '../test/harness/clients.js';
import { bootTern, registeredClient } from './boot.js';

export interface CsiBenchOptions { contacts?: number; chatty?: number; seconds?: number; tickMs?: number; seed?: number }
export interface CsiBenchResult {
  title: string;
  lines: string[];
  figures: { activeBytes: number; inactiveBytes: number; savedBytes: number; savedPercent: number; activeStanzas: number; inactiveStanzas: number; messages: number };
}



/** A small deterministic PRNG (mulberry32): both runs replay the same workload. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function user(port: number, name: string): Promise<RawClient> {
  const c = await registeredClient(port, name);
  c.write(`<presence/>`);
  return c;
}

let pings = 0;
async function settle(c: RawClient): Promise<void> {
  const id = `settle${pings++}`;
  c.write(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await c.inbox.next((el) => el.attrs.id === id, 10_000, 'pong');
}

const SHOWS = ['away', 'xa', 'dnd', 'chat'];

/** Plays the simulated period; returns the number of real messages sent. */
async function workload(contacts: RawClient[], chatty: number, seconds: number, tickMs: number, seed: number): Promise<number> {
  const rnd = prng(seed);
  const to = 'alice@localhost/r';
  let messages = 0;
  const pausing = new Map<number, number>();
  for (let t = 0; t < seconds; t++) {
    contacts.forEach((c, i) => {
      if (rnd() < 0.1) {
        const show = SHOWS[Math.floor(rnd() * SHOWS.length)]!;
        c.write(`<presence><show>${show}</show><status>at ${t}s: ${show}</status><priority>0</priority><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://client.example' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>`);
      }
      if (i >= chatty) return;
      if (pausing.get(i) === t) {
        c.write(`<message to='${to}' type='chat'><paused xmlns='http://jabber.org/protocol/chatstates'/></message>`);
        pausing.delete(i);
      }
      const r = rnd();
      if (r < 1 / 60) {
        messages++;
        c.write(`<message to='${to}' type='chat' id='m${t}-${i}'><body>message ${t}/${i}: are you there?</body><active xmlns='http://jabber.org/protocol/chatstates'/><request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/></message>`);
      } else if (r < 1 / 60 + 1 / 12) {
        c.write(`<message to='${to}' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`);
        pausing.set(i, t + 2);
      }
    });
    await sleep(tickMs);
  }
  await Promise.all(contacts.map(settle));
  return messages;
}

export async function csiBench(opts: CsiBenchOptions = {}): Promise<CsiBenchResult> {
  const n = opts.contacts ?? 30;
  const chatty = opts.chatty ?? 5;
  const seconds = opts.seconds ?? 300;
  const tickMs = opts.tickMs ?? 10;
  const seed = opts.seed ?? 352;
  const server = await bootTern('csi', {}, 'info');
  const { port } = server;
  const all: RawClient[] = [];
  try {
    const alice = await user(port, 'alice');
    all.push(alice);
    const contacts: RawClient[] = [];
    for (let i = 0; i < n; i++) {
      const c = await user(port, `contact${i}`);
      all.push(c);
      contacts.push(c);
      // Mutual subscription (RFC 6121 §3.1): contact asks, Alice approves and asks back, contact approves.
      c.write(`<presence to='alice@localhost' type='subscribe'/>`);
      await alice.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe' && el.attrs.from === `contact${i}@localhost`, 5000, 'subscribe');
      alice.write(`<presence to='contact${i}@localhost' type='subscribed'/><presence to='contact${i}@localhost' type='subscribe'/>`);
      await c.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'subscribe', 5000, 'subscribe back');
      c.write(`<presence to='alice@localhost' type='subscribed'/>`);
      await alice.inbox.next((el) => el.name === 'presence' && el.attrs.from === `contact${i}@localhost/r` && el.attrs.type === undefined, 5000, 'presence');
    }
    await settle(alice);
    await sleep(200);

    const measure = async (inactive: boolean) => {
      alice.inbox.clear();
      if (inactive) {
        alice.write(`<inactive xmlns='urn:xmpp:csi:0'/>`);
        await settle(alice);
      }
      const start = Buffer.byteLength(alice.text);
      const before = alice.inbox.all().length;
      const messages = await workload(contacts, chatty, seconds, tickMs, seed);
      if (inactive) alice.write(`<active xmlns='urn:xmpp:csi:0'/>`);
      await settle(alice);
      await sleep(100);
      // The pong itself is not part of the workload; it costs the same in both runs.
      const got = alice.inbox.all();
      const bodies = got.filter((el) => el.name === 'message' && el.getChildText('body') !== null).length;
      if (bodies !== messages) throw new Error(`sent ${messages} messages, Alice received ${bodies}`);
      return { bytes: Buffer.byteLength(alice.text) - start, stanzas: got.length - before, messages };
    };
    const active = await measure(false);
    const inactive = await measure(true);
    const saved = active.bytes - inactive.bytes;
    const pct = (100 * saved) / active.bytes;
    const figures = {
      activeBytes: active.bytes, inactiveBytes: inactive.bytes, savedBytes: saved, savedPercent: Math.round(pct * 10) / 10,
      activeStanzas: active.stanzas, inactiveStanzas: inactive.stanzas, messages: active.messages,
    };
    return {
      title: `CSI (XEP-0352): ${n} contacts, ${chatty} typing, ${seconds} simulated s`,
      lines: [
        `active all along:  ${active.bytes} bytes, ${active.stanzas} stanzas received`,
        `inactive (+ final <active/>): ${inactive.bytes} bytes, ${inactive.stanzas} stanzas received`,
        `saved: ${saved} bytes (${figures.savedPercent}%); all ${active.messages} real messages received in both runs`,
      ],
      figures,
    };
  } finally {
    for (const c of all) c.destroy();
    await server.stop();
  }
}

export const run = csiBench;
export default csiBench;

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  csiBench().then((r) => {
    console.log(r.title);
    for (const l of r.lines) console.log(`  ${l}`);
  }, (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
