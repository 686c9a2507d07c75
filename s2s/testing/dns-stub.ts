/**
 * A loopback DNS responder for tests (UDP, A and SRV only), for peers that resolve s2s domains by
 * DNS alone and ignore /etc/hosts (ejabberd's inet_res). The machine's resolver is not touched:
 * only a peer pointed at this port (ejabberd's inetrc) asks it.
 */
import dgram from 'node:dgram';

export interface DnsStub { port: number; close(): Promise<void> }

function readName(buf: Buffer, off: number): [string, number] {
  const labels: string[] = [];
  for (;;) {
    const n = buf[off++]!;
    if (n === 0) return [labels.join('.').toLowerCase(), off];
    labels.push(buf.subarray(off, off + n).toString('ascii'));
    off += n;
  }
}

function encName(name: string): Buffer {
  return Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
}

/** `a`: name → IPv4; `srv`: _service._tcp.name → [target, port]. Names under a known one get NODATA, others NXDOMAIN. */
export async function startDnsStub(a: Record<string, string>, srv: Record<string, [string, number]>): Promise<DnsStub> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (q, rinfo) => {
    try {
      const id = q.readUInt16BE(0);
      const flags = q.readUInt16BE(2);
      const [name, off] = readName(q, 12);
      const qtype = q.readUInt16BE(off);
      const question = q.subarray(12, off + 4);
      const answers: Buffer[] = [];
      const rr = (type: number, rdata: Buffer) => {
        const h = Buffer.alloc(12);
        h.writeUInt16BE(0xc00c, 0);
        h.writeUInt16BE(type, 2);
        h.writeUInt16BE(1, 4);
        h.writeUInt32BE(60, 6);
        h.writeUInt16BE(rdata.length, 10);
        answers.push(h, rdata);
      };
      if (qtype === 1 && a[name]) rr(1, Buffer.from(a[name]!.split('.').map(Number)));
      if (qtype === 33 && srv[name]) {
        const [target, port] = srv[name]!;
        const head = Buffer.alloc(6);
        head.writeUInt16BE(0, 0);
        head.writeUInt16BE(5, 2);
        head.writeUInt16BE(port, 4);
        rr(33, Buffer.concat([head, encName(target)]));
      }
      const known = Object.keys(a).some((d) => name === d || name.endsWith(`.${d}`));
      const header = Buffer.alloc(12);
      header.writeUInt16BE(id, 0);
      header.writeUInt16BE(0x8000 | 0x0400 | (flags & 0x0100) | (known ? 0 : 3), 2);
      header.writeUInt16BE(1, 4);
      header.writeUInt16BE(answers.length / 2, 6);
      sock.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
    } catch { /* malformed query: no answer */ }
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  return { port: sock.address().port, close: () => new Promise((r) => sock.close(() => r())) };
}
