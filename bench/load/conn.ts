/**
 * One client connection of the load generator: a raw `net` socket with TCP_NODELAY, the framer,
 * and the login sequence RFC 6120 describes: connect, stream open, SASL (PLAIN, RFC 4616, or
 * SCRAM-SHA-1, RFC 5802), stream restart, resource binding (§7), the session IQ only when the
 * server marks it mandatory (RFC 3921 §3 via draft-cridland-xmpp-session), initial presence,
 * then a ping round trip (XEP-0199) so that "logged in" means the server has processed the
 * presence. Also XEP-0077 registration on an unauthenticated stream, to create accounts.
 */
import net from 'node:net';
import { attrOf, escapeXml, Framer, type FrameSink, nameOf } from './framer.js';
import { ScramSha1Client } from './scram.js';

export type Mechanism = 'PLAIN' | 'SCRAM-SHA-1';

export interface Target { host: string; port: number; domain: string; password: string }

export const streamOpen = (domain: string): string =>
  `<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;

type Step = 'features' | 'sasl' | 'features2' | 'bind' | 'session' | 'ping' | 'online' | 'register';

export class Conn implements FrameSink {
  readonly socket: net.Socket;
  closed = false;
  jid = '';
  /** Every stanza once online; the default answers server pings. */
  onStanza: (raw: string) => void = (raw) => this.answerPing(raw);
  onClose?: () => void;
  private readonly framer = new Framer(this);
  private step: Step = 'features';
  private pending?: { resolve(): void; reject(e: Error): void };
  private scram?: ScramSha1Client;
  private mechanism: Mechanism = 'PLAIN';
  private presence = true;

  private constructor(readonly t: Target, readonly user: string) {
    this.socket = net.connect({ host: t.host, port: t.port });
    this.socket.setNoDelay(true);
    this.socket.setEncoding('utf8');
    this.socket.on('connect', () => this.socket.write(streamOpen(t.domain)));
    this.socket.on('data', (d: string) => this.framer.push(d));
    this.socket.on('error', (e: NodeJS.ErrnoException) => this.fail(`socket ${e.code ?? e.message}`));
    this.socket.on('close', () => {
      this.closed = true;
      this.fail('closed by server');
      this.onClose?.();
    });
  }

  /** Connects and logs in; resolves once the ping after initial presence came back. */
  static login(t: Target, user: string, opts: { mechanism?: Mechanism; presence?: boolean; resource?: string } = {}): { conn: Conn; done: Promise<Conn> } {
    const c = new Conn(t, user);
    c.mechanism = opts.mechanism ?? 'PLAIN';
    c.presence = opts.presence ?? true;
    c.resource = opts.resource ?? 'bench';
    const done = new Promise<void>((resolve, reject) => { c.pending = { resolve, reject }; }).then(() => c);
    return { conn: c, done };
  }

  /** XEP-0077 §3.1 in-band registration; 'created' or 'exists' (conflict). */
  static async register(t: Target, user: string): Promise<'created' | 'exists'> {
    const c = new Conn(t, user);
    c.step = 'register';
    let outcome: 'created' | 'exists' = 'created';
    c.registerDone = (o) => { outcome = o; };
    try {
      await new Promise<void>((resolve, reject) => { c.pending = { resolve, reject }; });
    } finally {
      c.close();
    }
    return outcome;
  }

  private resource = 'bench';
  private registerDone?: (o: 'created' | 'exists') => void;

  send(data: string): void {
    if (!this.closed) this.socket.write(data);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end('</stream:stream>');
    const s = this.socket;
    setTimeout(() => s.destroy(), 2000).unref();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  answerPing(raw: string): void {
    if (raw.startsWith('<iq') && attrOf(raw, 'type') === 'get' && raw.includes('urn:xmpp:ping')) {
      const from = attrOf(raw, 'from');
      this.send(`<iq type='result' id='${attrOf(raw, 'id') ?? ''}'${from ? ` to='${from}'` : ''}/>`);
    }
  }

  streamOpen(): void { /* features follow */ }

  streamClose(): void {
    this.fail('stream closed by server');
    this.close();
  }

  private fail(why: string): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    p.reject(new Error(why));
  }

  private ok(): void {
    const p = this.pending;
    this.pending = undefined;
    p?.resolve();
  }

  stanza(raw: string): void {
    if (this.step === 'online') { this.onStanza(raw); return; }
    const name = nameOf(raw);
    if (name === 'stream:error') { this.fail(`stream error ${raw.slice(0, 300)}`); return; }
    switch (this.step) {
      case 'register':
        if (name === 'stream:features') {
          this.send(`<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>${escapeXml(this.user)}</username><password>${escapeXml(this.t.password)}</password></query></iq>`);
        } else if (name === 'iq' && attrOf(raw, 'id') === 'reg') {
          if (attrOf(raw, 'type') === 'result') this.registerDone?.('created');
          else if (raw.includes('<conflict')) this.registerDone?.('exists');
          else { this.fail(`registration refused: ${raw.slice(0, 300)}`); return; }
          this.ok();
        }
        return;
      case 'features':
        if (name !== 'stream:features') return;
        if (!raw.includes(`>${this.mechanism}<`)) { this.fail(`${this.mechanism} not offered: ${raw.slice(0, 300)}`); return; }
        if (this.mechanism === 'PLAIN') {
          const b64 = Buffer.from(`\0${this.user}\0${this.t.password}`).toString('base64');
          this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${b64}</auth>`);
        } else {
          this.scram = new ScramSha1Client(this.user, this.t.password);
          this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>${this.scram.first()}</auth>`);
        }
        this.step = 'sasl';
        return;
      case 'sasl':
        if (name === 'challenge') {
          const text = saslText(raw);
          if (!this.scram) { this.fail('unexpected challenge'); return; }
          // A server-final-message may come as a last challenge (RFC 6120 §6.3.10 allows either).
          if (Buffer.from(text, 'base64').toString().startsWith('v=')) {
            if (!this.scram.verify(text)) { this.fail('server signature mismatch'); return; }
            this.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`);
            this.scram = undefined;
          } else this.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${this.scram.final(text)}</response>`);
        } else if (name === 'success') {
          if (this.scram && !this.scram.verify(saslText(raw))) { this.fail('server signature mismatch'); return; }
          this.framer.restart();
          this.send(streamOpen(this.t.domain));
          this.step = 'features2';
        } else if (name === 'failure') this.fail(`SASL failure ${raw.slice(0, 200)}`);
        return;
      case 'features2':
        if (name !== 'stream:features') return;
        this.needSession = raw.includes('urn:ietf:params:xml:ns:xmpp-session') && !/xmpp-session['"]\s*>\s*<optional/.test(raw);
        this.send(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${this.resource}</resource></bind></iq>`);
        this.step = 'bind';
        return;
      case 'bind': {
        if (name !== 'iq' || attrOf(raw, 'id') !== 'bind') return;
        if (attrOf(raw, 'type') !== 'result') { this.fail(`bind failed ${raw.slice(0, 200)}`); return; }
        const m = /<jid>([^<]+)<\/jid>/.exec(raw);
        this.jid = m ? m[1]! : `${this.user}@${this.t.domain}/${this.resource}`;
        if (this.needSession) {
          this.send(`<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`);
          this.step = 'session';
        } else this.finish();
        return;
      }
      case 'session':
        if (name !== 'iq' || attrOf(raw, 'id') !== 'sess') return;
        if (attrOf(raw, 'type') !== 'result') { this.fail('session failed'); return; }
        this.finish();
        return;
      case 'ping':
        if (name === 'iq' && attrOf(raw, 'id') === 'lping') {
          this.step = 'online';
          this.ok();
        } else if (this.presence) this.early.push(raw); // e.g. offline messages after presence
        return;
      default:
    }
  }

  /** Stanzas that arrived between initial presence and the ping answer (offline messages…). */
  readonly early: string[] = [];
  private needSession = false;

  private finish(): void {
    this.send(`${this.presence ? '<presence/>' : ''}<iq type='get' id='lping' to='${this.t.domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    this.step = 'ping';
  }
}

function saslText(raw: string): string {
  const gt = raw.indexOf('>');
  if (raw.charCodeAt(gt - 1) === 47) return '';
  return raw.slice(gt + 1, raw.lastIndexOf('<')).trim();
}
