/**
 * Real clients for tests: @xmpp/client (a real, independent XMPP library) and RawClient, a socket
 * that speaks bytes, for the error paths no library will produce (spoofed 'from', DTDs, oversized
 * stanzas). Both parse what the server sends with @xmpp/xml, not with Tern's own parser.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { client, type Client } from '@xmpp/client';
import xml, { type Element, Parser } from '@xmpp/xml';
import type { TestServer } from './server.js';

export { xml };
export type { Element };

type Predicate = (el: Element) => boolean;

/** Collects stanzas as they arrive; `next` takes the first one that matches, waiting if needed. */
export class Inbox {
  private readonly items: Element[] = [];
  private readonly waiters: Array<{ pred: Predicate; resolve(el: Element): void }> = [];

  push(el: Element): void {
    const i = this.waiters.findIndex((w) => w.pred(el));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      w!.resolve(el);
      return;
    }
    this.items.push(el);
  }

  next(pred: Predicate = () => true, timeoutMs = 5000, what = 'a stanza'): Promise<Element> {
    const i = this.items.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (el: Element) => { clearTimeout(t); resolve(el); } };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out waiting for ${what}; unconsumed: ${this.items.map(String).join('\n') || '(none)'}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Asserts nothing matching arrives within `ms`. */
  async none(pred: Predicate = () => true, ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    const hit = this.items.find(pred);
    if (hit) throw new Error(`unexpected stanza: ${hit.toString()}`);
  }

  all(): Element[] { return [...this.items]; }
  clear(): void { this.items.length = 0; }
}

export const is = {
  message: (from?: string) => (el: Element) => el.name === 'message' && (!from || el.attrs.from?.startsWith(from)),
  chat: (body?: string) => (el: Element) => el.name === 'message' && el.getChildText('body') !== null && (!body || el.getChildText('body') === body),
  presence: (from?: string, type?: string) => (el: Element) => el.name === 'presence' && (!from || el.attrs.from?.startsWith(from)) && el.attrs.type === type,
  iq: (id?: string) => (el: Element) => el.name === 'iq' && (!id || el.attrs.id === id),
  rosterPush: () => (el: Element) => el.name === 'iq' && el.attrs.type === 'set' && el.getChild('query', 'jabber:iq:roster') !== undefined,
};

export interface TestClient {
  xmpp: Client;
  jid: string;
  bare: string;
  inbox: Inbox;
  send(el: Element): Promise<void>;
  /** Sends an IQ and resolves with the response (result or error), never rejecting on error. */
  iq(el: Element, timeoutMs?: number): Promise<Element>;
  stop(): Promise<void>;
}

let iqCounter = 0;

export async function connect(server: TestServer, username: string, password: string, opts: { resource?: string; directTls?: boolean; presence?: boolean } = {}): Promise<TestClient> {
  const service = opts.directTls ? `xmpps://127.0.0.1:${server.tlsPort}` : `xmpp://127.0.0.1:${server.port}`;
  const xmpp = client({ service, domain: server.domain, username, password, resource: opts.resource });
  // @xmpp/client retries forever by default: a test wants the first failure.
  (xmpp as unknown as { reconnect: { stop(): void } }).reconnect.stop();
  // Its 2 s default for each protocol step is too short on a loaded CI machine; a test wants a real failure.
  (xmpp as unknown as { timeout: number }).timeout = 10_000;
  const inbox = new Inbox();
  xmpp.on('error', () => {});
  xmpp.on('stanza', (el: Element) => inbox.push(el));
  if (process.env.TERN_TEST_TRACE) {
    xmpp.on('element', (el: Element) => console.log(`${username} <- ${el.toString()}`));
    xmpp.on('send', (el: Element) => console.log(`${username} -> ${el.toString()}`));
  }
  // Answer nothing on the client's behalf: tests see every IQ themselves.
  const jid = (await xmpp.start()).toString();
  // @xmpp/client 0.14 reports "online" before its XEP-0198 <enable/> is answered, and then miscounts
  // stanzas that arrive before <enabled/> (it acknowledges more than the server sent, which the
  // server rightly answers with handled-count-too-high). Tests start once stream management is on.
  const sm = (xmpp as unknown as { streamManagement?: { enabled: boolean; enableSent: boolean } }).streamManagement;
  for (let i = 0; sm && !sm.enabled && i < 200; i++) await new Promise((r) => setTimeout(r, 10));
  const c: TestClient = {
    xmpp, jid, bare: jid.split('/')[0]!, inbox,
    send: (el) => xmpp.send(el),
    iq: async (el, timeoutMs = 5000) => {
      el.attrs.id ??= `t${iqCounter++}`;
      const id = el.attrs.id as string;
      const reply = inbox.next((s) => s.name === 'iq' && s.attrs.id === id && (s.attrs.type === 'result' || s.attrs.type === 'error'), timeoutMs, `reply to iq ${id}`);
      await xmpp.send(el);
      return reply;
    },
    stop: async () => {
      try {
        await xmpp.stop();
      } catch { /* already gone */ }
    },
  };
  if (opts.presence !== false) await c.send(xml('presence'));
  return c;
}

/** The stanza error condition of an error stanza, e.g. 'service-unavailable'. */
export function errorCondition(el: Element): string | undefined {
  const e = el.getChild('error');
  return e?.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas')?.name;
}

/**
 * A byte-level client. Speaks STARTTLS and SASL PLAIN itself so tests can then send anything.
 */
export class RawClient {
  private socket: net.Socket;
  private parser = new Parser();
  readonly inbox = new Inbox();
  text = '';
  streamHeader?: Element;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.attach();
  }

  static async connect(port: number, opts: { directTls?: boolean; servername?: string } = {}): Promise<RawClient> {
    const socket = opts.directTls
      ? tls.connect({ host: '127.0.0.1', port, servername: opts.servername ?? 'localhost' })
      : net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.directTls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  private attach(): void {
    this.socket.removeAllListeners('data');
    this.parser = new Parser();
    this.parser.on('start', (el: Element) => { this.streamHeader = el; });
    this.parser.on('element', (el: Element) => this.inbox.push(el));
    this.parser.on('error', () => {});
    this.socket.on('data', (d: Buffer) => {
      const s = d.toString('utf8');
      this.text += s;
      try {
        this.parser.write(s);
      } catch { /* the tests look at `text` for what the parser rejects */ }
    });
    this.socket.on('error', () => {});
  }

  write(data: string | Buffer): void { this.socket.write(data); }

  /** Channel-binding data of the TLS connection, computed on the client side (RFC 9266, RFC 5929 §4.1 with SHA-256). */
  channelBinding(type: 'tls-exporter' | 'tls-server-end-point'): Buffer {
    const s = this.socket;
    if (!(s instanceof tls.TLSSocket)) throw new Error('not a TLS connection');
    if (type === 'tls-exporter') return s.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
    return createHash('sha256').update(s.getPeerCertificate().raw).digest();
  }

  openStream(domain = 'localhost'): Promise<Element> {
    this.write(`<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
    return this.inbox.next((el) => el.name === 'stream:features', 5000, 'stream features');
  }

  async startTls(domain = 'localhost'): Promise<Element> {
    this.write(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    await this.inbox.next((el) => el.name === 'proceed', 5000, '<proceed/>');
    this.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: this.socket, servername: domain });
    await new Promise<void>((resolve, reject) => { secure.once('secureConnect', () => resolve()); secure.once('error', reject); });
    this.socket = secure;
    this.attach();
    return this.openStream(domain);
  }

  async authPlain(username: string, password: string, domain = 'localhost'): Promise<Element> {
    const payload = Buffer.from(`\0${username}\0${password}`).toString('base64');
    this.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${payload}</auth>`);
    const r = await this.inbox.next((el) => el.name === 'success' || el.name === 'failure', 5000, 'SASL outcome');
    if (r.name === 'success') {
      this.attach();
      await this.openStream(domain);
    }
    return r;
  }

  /** SASL ANONYMOUS (RFC 4505) with optional trace information; on success the stream is restarted. */
  async authAnonymous(trace = '', domain = 'localhost'): Promise<Element> {
    this.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'>${trace ? Buffer.from(trace).toString('base64') : '='}</auth>`);
    const r = await this.inbox.next((el) => el.name === 'success' || el.name === 'failure', 5000, 'SASL outcome');
    if (r.name === 'success') {
      this.attach();
      await this.openStream(domain);
    }
    return r;
  }

  /** Binds a resource after authentication; returns the bound JID. */
  async bind(resource = 'raw'): Promise<string> {
    this.write(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    const b = await this.inbox.next((el) => el.name === 'iq' && el.attrs.id === 'bind1', 5000, 'bind result');
    return b.getChild('bind')!.getChildText('jid')!;
  }

  /** STARTTLS, PLAIN, bind; returns the bound JID. */
  async login(username: string, password: string, resource = 'raw', domain = 'localhost'): Promise<string> {
    await this.openStream(domain);
    await this.startTls(domain);
    const r = await this.authPlain(username, password, domain);
    if (r.name !== 'success') throw new Error(`login failed: ${r.toString()}`);
    this.write(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    const b = await this.inbox.next((el) => el.name === 'iq' && el.attrs.id === 'bind1', 5000, 'bind result');
    return b.getChild('bind')!.getChildText('jid')!;
  }

  /** Resolves with the stream error condition once the server closes the stream with one. */
  async streamError(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const m = /<stream:error>\s*<([a-z-]+)/.exec(this.text);
      if (m) return m[1]!;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no stream error; received: ${this.text.slice(-2000)}`);
  }

  /** The last <stream:features/> received, parsed from the raw text (features after SASL are read by authPlain). */
  lastFeatures(): Element {
    const at = this.text.lastIndexOf('<stream:features');
    const end = this.text.indexOf('</stream:features>', at) + '</stream:features>'.length;
    const p = new Parser();
    let el: Element | undefined;
    p.on('element', (e: Element) => { el = e; });
    p.write(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>${this.text.slice(at, end)}`);
    if (!el) throw new Error(`no stream features in: ${this.text.slice(-500)}`);
    return el;
  }

  end(): void { this.socket.end(); }
  destroy(): void { this.socket.destroy(); }
}

function esc(s: string): string {
  return s.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** In-band registration (XEP-0077) over STARTTLS; resolves with the server's IQ reply. */
export async function register(server: TestServer, username: string, password: string): Promise<Element> {
  const r = await RawClient.connect(server.port);
  try {
    await r.openStream(server.domain);
    await r.startTls(server.domain);
    r.write(`<iq type='set' id='reg1'><query xmlns='jabber:iq:register'><username>${esc(username)}</username><password>${esc(password)}</password></query></iq>`);
    return await r.inbox.next((el) => el.name === 'iq' && el.attrs.id === 'reg1', 10_000, 'registration reply');
  } finally {
    r.end();
  }
}

/** Registers and fails loudly if the server refused. */
export async function createUser(server: TestServer, username: string, password = 'secret-pass'): Promise<void> {
  const r = await register(server, username, password);
  if (r.attrs.type !== 'result') throw new Error(`registration of ${username} failed: ${r.toString()}`);
}
