/**
 * The subset of SIP (RFC 3261 §7, §20, §25) the CPIM gateway needs: request and response
 * messages, headers (compact forms expanded, §7.3.3; folded lines unfolded, §7.3.1), bodies framed
 * by Content-Length (required on streams, §18.3), name-addr and SIP-URI parsing (§19.1, §25.1).
 * npm's `sip` package (0.0.x) is unmaintained, so this is a small, strictly tested parser.
 */

export class SipParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SipParseError';
  }
}

export interface SipMessage {
  /** Requests: method and Request-URI; responses: status and reason. */
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

const COMPACT: Record<string, string> = {
  i: 'Call-ID', m: 'Contact', e: 'Content-Encoding', l: 'Content-Length', c: 'Content-Type', f: 'From',
  s: 'Subject', k: 'Supported', t: 'To', v: 'Via', o: 'Event', u: 'Allow-Events',
};
const CANONICAL = new Map(['Call-ID', 'CSeq', 'Via', 'From', 'To', 'Contact', 'Content-Length', 'Content-Type', 'Max-Forwards', 'Require', 'Supported', 'Allow', 'Accept', 'Event', 'Expires', 'User-Agent', 'WWW-Authenticate', 'Unsupported']
  .map((n) => [n.toLowerCase(), n]));

function canonical(name: string): string {
  if (name.length === 1) return COMPACT[name.toLowerCase()] ?? name;
  return CANONICAL.get(name.toLowerCase()) ?? name;
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** Parses one whole message (a datagram, or a frame cut by SipStreamFramer). */
export function parseSip(buf: Buffer, stream = false): SipMessage {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) throw new SipParseError('no empty line after the headers');
  const head = buf.subarray(0, end).toString('utf8');
  const rawLines = head.split('\r\n');
  const start = rawLines.shift()!;
  const lines: string[] = [];
  for (const l of rawLines) {
    if (/^[ \t]/.test(l) && lines.length) lines[lines.length - 1] += ` ${l.trim()}`;
    else lines.push(l);
  }
  const msg: SipMessage = { headers: [], body: Buffer.alloc(0) };
  let m = /^SIP\/2\.0 ([1-6][0-9]{2}) (.*)$/.exec(start);
  if (m) {
    msg.status = Number(m[1]);
    msg.reason = m[2];
  } else {
    m = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) SIP\/2\.0$/.exec(start);
    if (!m) throw new SipParseError(`bad start line '${start.slice(0, 80)}'`);
    msg.method = m[1];
    msg.uri = m[2];
  }
  for (const l of lines) {
    const colon = l.indexOf(':');
    if (colon <= 0) throw new SipParseError(`bad header line '${l.slice(0, 80)}'`);
    const name = l.slice(0, colon).trim();
    if (!TOKEN.test(name)) throw new SipParseError(`bad header name '${name}'`);
    msg.headers.push([canonical(name), l.slice(colon + 1).trim()]);
  }
  const rest = buf.subarray(end + 4);
  const cl = header(msg, 'Content-Length');
  if (cl === undefined) {
    if (stream) throw new SipParseError('Content-Length is required on stream transports');
    msg.body = Buffer.from(rest);
  } else {
    if (!/^[0-9]{1,9}$/.test(cl)) throw new SipParseError('bad Content-Length');
    const n = Number(cl);
    if (n > rest.length) throw new SipParseError(`Content-Length ${n} but only ${rest.length} bytes follow`);
    msg.body = Buffer.from(rest.subarray(0, n));
  }
  for (const required of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    if (header(msg, required) === undefined) throw new SipParseError(`missing ${required}`);
  }
  if (!/^[0-9]{1,10} [A-Za-z]+$/.test(header(msg, 'CSeq')!)) throw new SipParseError('bad CSeq');
  return msg;
}

export function header(msg: SipMessage, name: string): string | undefined {
  const n = name.toLowerCase();
  return msg.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** All values, with comma-separated lists split (for Via, Require and the like). */
export function headerList(msg: SipMessage, name: string): string[] {
  const n = name.toLowerCase();
  return msg.headers.filter(([k]) => k.toLowerCase() === n).flatMap(([, v]) => v.split(',').map((s) => s.trim()).filter(Boolean));
}

export function serializeSip(msg: SipMessage): Buffer {
  const start = msg.method ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  const headers = msg.headers.filter(([k]) => k !== 'Content-Length');
  const text = `${start}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}Content-Length: ${msg.body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(text, 'utf8'), msg.body]);
}

/** Cuts a TCP byte stream into messages (§18.3). */
export class SipStreamFramer {
  private buf = Buffer.alloc(0);
  constructor(private readonly maxBytes = 65536) {}

  push(chunk: Buffer): SipMessage[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: SipMessage[] = [];
    for (;;) {
      // Keep-alive CRLFs between messages (RFC 5626 §3.5.1) are skipped.
      while (this.buf.length >= 2 && this.buf[0] === 0x0d && this.buf[1] === 0x0a) this.buf = this.buf.subarray(2);
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > this.maxBytes) throw new SipParseError('headers too long');
        return out;
      }
      const head = this.buf.subarray(0, end).toString('utf8');
      const cl = /(?:^|\r\n)(?:Content-Length|l)[ \t]*:[ \t]*([0-9]+)/i.exec(head);
      if (!cl) throw new SipParseError('Content-Length is required on stream transports');
      const total = end + 4 + Number(cl[1]);
      if (total > this.maxBytes) throw new SipParseError('message too long');
      if (this.buf.length < total) return out;
      out.push(parseSip(this.buf.subarray(0, total), true));
      this.buf = this.buf.subarray(total);
    }
  }
}

export interface SipUri { scheme: 'sip' | 'sips'; user?: string; host: string; port?: number; params: Record<string, string> }

export function parseSipUri(s: string): SipUri | undefined {
  const m = /^(sips?):(?:([^@;?]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)(?::([0-9]{1,5}))?((?:;[^;?]*)*)(?:\?.*)?$/.exec(s);
  if (!m) return undefined;
  let user: string | undefined;
  try {
    user = m[2] === undefined ? undefined : decodeURIComponent(m[2].split(':')[0]!);
  } catch {
    return undefined;
  }
  const params: Record<string, string> = {};
  for (const p of (m[5] ?? '').split(';').filter(Boolean)) {
    const [k, v = ''] = p.split('=');
    params[k!.toLowerCase()] = v;
  }
  return { scheme: m[1] as 'sip' | 'sips', ...(user !== undefined ? { user } : {}), host: m[3]!.toLowerCase(), ...(m[4] ? { port: Number(m[4]) } : {}), params };
}

/** `"Name" <uri>;params` or `uri;params` (§20.10, §20.20, §20.39). */
export function parseNameAddr(s: string): { name?: string; uri: string; params: Record<string, string> } | undefined {
  let rest: string;
  let uri: string;
  let name: string | undefined;
  const lt = s.indexOf('<');
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    if (gt < 0) return undefined;
    uri = s.slice(lt + 1, gt);
    const display = s.slice(0, lt).trim();
    if (display) name = display.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
    rest = s.slice(gt + 1);
  } else {
    const semi = s.indexOf(';');
    uri = (semi < 0 ? s : s.slice(0, semi)).trim();
    rest = semi < 0 ? '' : s.slice(semi);
  }
  const params: Record<string, string> = {};
  for (const p of rest.split(';').map((x) => x.trim()).filter(Boolean)) {
    const [k, v = ''] = p.split('=');
    params[k!.toLowerCase()] = v;
  }
  return name === undefined ? { uri, params } : { name, uri, params };
}

export const REASONS: Record<number, string> = {
  100: 'Trying', 200: 'OK', 202: 'Accepted', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme',
  420: 'Bad Extension', 480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist', 488: 'Not Acceptable Here',
  500: 'Server Internal Error', 501: 'Not Implemented', 503: 'Service Unavailable', 504: 'Server Time-out',
};

/** A response to `req` (§8.2.6): Via, From, Call-ID, CSeq copied; To gets a tag if it has none. */
export function responseTo(req: SipMessage, status: number, toTag: string, extra: Array<[string, string]> = []): SipMessage {
  const headers: Array<[string, string]> = [];
  for (const [k, v] of req.headers) {
    if (k === 'Via' || k === 'From' || k === 'Call-ID' || k === 'CSeq') headers.push([k, v]);
    else if (k === 'To') headers.push([k, /;\s*tag=/i.test(v) || status === 100 ? v : `${v};tag=${toTag}`]);
  }
  return { status, reason: REASONS[status] ?? 'Unknown', headers: [...headers, ...extra], body: Buffer.alloc(0) };
}

/** Media type (lowercased, no parameters) and charset of the body; no Content-Type means none. */
export function contentTypeOf(msg: SipMessage): { type: string; charset?: string } {
  const raw = header(msg, 'Content-Type');
  if (raw === undefined) return { type: msg.body.length ? 'application/octet-stream' : '' };
  const [type, ...params] = raw.split(';').map((s) => s.trim());
  let charset: string | undefined;
  for (const p of params) {
    const m = /^charset=("?)([^"]+)\1$/i.exec(p);
    if (m) charset = m[2]!.toLowerCase();
  }
  return charset === undefined ? { type: type!.toLowerCase() } : { type: type!.toLowerCase(), charset };
}
