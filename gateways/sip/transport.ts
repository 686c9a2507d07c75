/**
 * SIP over UDP and TCP on one port (RFC 3261 §18), with the non-INVITE transactions the gateway
 * uses (§17.1.2 client: Timer E retransmissions over UDP, Timer F timeout; §17.2.2 server:
 * a retransmitted request is answered with the response already sent, matched by branch, §17.2.3).
 * Responses go back where the request came from (the received/rport rule of RFC 3581 §4) or on
 * the same TCP connection.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import { header, parseSip, type SipMessage, SipParseError, SipStreamFramer, serializeSip } from './message.js';

export const T1_MS = 500;

export interface Peer { transport: 'udp' | 'tcp'; address: string; port: number }

/** A server transaction's way to answer (once final; provisional answers may precede). */
export type Reply = (res: SipMessage) => void;
export type RequestHandler = (req: SipMessage, reply: Reply, from: Peer) => void;

export function branch(): string {
  return `z9hG4bK${randomBytes(8).toString('hex')}`;
}

export function token(): string {
  return randomBytes(6).toString('hex');
}

function topBranch(msg: SipMessage): string | undefined {
  return /;\s*branch=([^;,\s]+)/i.exec(header(msg, 'Via') ?? '')?.[1];
}

interface Pending { resolve: (res: SipMessage) => void; reject: (err: Error) => void; timers: NodeJS.Timeout[] }

export class SipTransport {
  private readonly pending = new Map<string, Pending>();
  /** Final responses by request branch, for retransmitted requests (kept 64·T1). */
  private readonly answered = new Map<string, Buffer | null>();
  private readonly conns = new Set<net.Socket>();
  private readonly outConns = new Map<string, net.Socket>();

  private constructor(
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
    readonly host: string,
    readonly port: number,
    private readonly onRequest: RequestHandler,
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {
    udp.on('message', (data, rinfo) => this.received(data, { transport: 'udp', address: rinfo.address, port: rinfo.port }));
    tcp.on('connection', (s) => this.adopt(s));
  }

  /** Binds TCP and UDP on the same port (port 0: an ephemeral one free on both). */
  static async listen(opts: { host: string; port: number; timeoutMs?: number }, onRequest: RequestHandler, log: Logger): Promise<SipTransport> {
    for (let attempt = 0; ; attempt++) {
      const tcp = net.createServer();
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(opts.port, opts.host, () => resolve());
      });
      const port = (tcp.address() as net.AddressInfo).port;
      const udp = dgram.createSocket(opts.host.includes(':') ? 'udp6' : 'udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(port, opts.host, () => resolve());
        });
      } catch (err) {
        tcp.close();
        udp.close();
        if (opts.port !== 0 || attempt > 10) throw err;
        continue;
      }
      return new SipTransport(udp, tcp, opts.host, port, onRequest, log, opts.timeoutMs ?? 64 * T1_MS);
    }
  }

  private adopt(s: net.Socket): void {
    this.conns.add(s);
    const framer = new SipStreamFramer();
    const peer: Peer = { transport: 'tcp', address: s.remoteAddress ?? '', port: s.remotePort ?? 0 };
    s.on('data', (chunk: Buffer) => {
      let msgs: SipMessage[];
      try {
        msgs = framer.push(chunk);
      } catch (err) {
        this.log.info({ err: (err as Error).message, peer }, 'closing SIP connection after a framing error');
        s.destroy();
        return;
      }
      for (const m of msgs) this.dispatch(m, peer, s);
    });
    s.on('error', () => {});
    s.on('close', () => this.conns.delete(s));
  }

  private received(data: Buffer, peer: Peer): void {
    if (data.length <= 4 && data.toString().trim() === '') return; // keep-alive
    let msg: SipMessage;
    try {
      msg = parseSip(data);
    } catch (err) {
      if (err instanceof SipParseError) {
        this.log.info({ err: err.message, peer }, 'dropping unparsable SIP datagram');
        return;
      }
      throw err;
    }
    this.dispatch(msg, peer);
  }

  private dispatch(msg: SipMessage, peer: Peer, sock?: net.Socket): void {
    const b = topBranch(msg);
    if (msg.status !== undefined) {
      const p = b ? this.pending.get(b) : undefined;
      if (p && msg.status >= 200) {
        this.pending.delete(b!);
        for (const t of p.timers) clearTimeout(t);
        p.resolve(msg);
      }
      return;
    }
    const write = (bytes: Buffer) => {
      if (sock) sock.write(bytes);
      else this.udp.send(bytes, peer.port, peer.address);
    };
    if (b && this.answered.has(b)) {
      const prev = this.answered.get(b);
      if (prev) write(prev);
      return;
    }
    if (b) {
      this.answered.set(b, null);
      setTimeout(() => this.answered.delete(b), 64 * T1_MS).unref();
    }
    this.onRequest(msg, (res) => {
      const bytes = serializeSip(res);
      if (b && res.status! >= 200) this.answered.set(b, bytes);
      write(bytes);
    }, peer);
  }

  /** The Via sent-by for requests we originate. */
  via(transport: 'udp' | 'tcp', br: string): string {
    const host = this.host === '0.0.0.0' || this.host === '::' ? '127.0.0.1' : this.host;
    return `SIP/2.0/${transport.toUpperCase()} ${host}:${this.port};branch=${br};rport`;
  }

  /** Sends a request (its top Via made by via()) and resolves with the final response; rejects on timeout. */
  request(req: SipMessage, to: Peer): Promise<SipMessage> {
    const b = topBranch(req)!;
    const bytes = serializeSip(req);
    return new Promise<SipMessage>((resolve, reject) => {
      const p: Pending = { resolve, reject, timers: [] };
      this.pending.set(b, p);
      const fail = (err: Error) => {
        if (this.pending.get(b) !== p) return;
        this.pending.delete(b);
        for (const t of p.timers) clearTimeout(t);
        reject(err);
      };
      p.timers.push(setTimeout(() => fail(new Error('SIP transaction timed out (Timer F)')), this.timeoutMs));
      if (to.transport === 'udp') {
        const send = (interval: number) => {
          this.udp.send(bytes, to.port, to.address, (err) => { if (err) fail(err); });
          p.timers.push(setTimeout(() => send(Math.min(interval * 2, 4000)), interval));
        };
        send(T1_MS);
      } else {
        this.tcpTo(to).then((s) => s.write(bytes), fail);
      }
    });
  }

  private tcpTo(to: Peer): Promise<net.Socket> {
    const key = `${to.address}:${to.port}`;
    const open = this.outConns.get(key);
    if (open && !open.destroyed) return Promise.resolve(open);
    return new Promise((resolve, reject) => {
      const s = net.connect(to.port, to.address);
      s.once('connect', () => {
        this.outConns.set(key, s);
        this.adopt(s);
        resolve(s);
      });
      s.once('error', reject);
      s.on('close', () => { if (this.outConns.get(key) === s) this.outConns.delete(key); });
    });
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) {
      for (const t of p.timers) clearTimeout(t);
      p.reject(new Error('SIP transport closed'));
    }
    this.pending.clear();
    for (const s of this.conns) s.destroy();
    await Promise.all([
      new Promise<void>((r) => this.tcp.close(() => r())),
      new Promise<void>((r) => this.udp.close(() => r())),
    ]);
  }
}
