/**
 * The REST/JSON binding of the WSI operations (v0), under /wsi/<host>/<inbox>/ on the server's
 * HTTPS listener:
 *   GET  messages?max=N&after=SEQ&wait=S&consume=1  GetMessages (WSI-7/31; pull only, WSI-24;
 *                                                   long-poll WSI-25), oldest first, with `next`
 *   POST ack            {"upTo": SEQ}               removes every message up to SEQ
 *   POST messages       SendMessages (send.ts)      per-recipient statuses (Appendix B §7.4)
 * Authentication (WSI-13/28): `Authorization: Bearer <token>` bound to the inbox account, compared
 * as SHA-256 digests in constant time; none → 401, another inbox's token → 403 (an inbox is read
 * only by its owner). A fixed-window per-inbox request rate → 429; bodies over the limit → 413;
 * malformed requests → 400 with the field named. Errors: {"error": reason, "field"?: name}.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Inbox } from './inbox.js';
import { BadRequest, parseSendRequest, type SendRequest } from './send.js';

export interface RecipientStatus { message: number; recipient: string; jid?: string; status: 'accepted' | 'error'; condition?: string }

export interface WsiHttpDeps {
  prefix: string;
  /** Inbox username → SHA-256 of its token. */
  tokens: ReadonlyMap<string, Buffer>;
  inbox: Inbox;
  send(inbox: string, req: SendRequest): Promise<RecipientStatus[]>;
  limits: { requestsPerMinute: number; maxRequestBytes: number; maxRecipients: number; maxWaitS: number };
  now(): number;
  log: Logger;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...extra }).end(`${JSON.stringify(body)}\n`);
}

/** Which inbox a bearer token belongs to (constant-time over every configured inbox). */
function owner(tokens: ReadonlyMap<string, Buffer>, header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const h = sha256(m[1]!);
  let found: string | undefined;
  for (const [u, t] of tokens) if (timingSafeEqual(h, t) && found === undefined) found = u;
  return found;
}

function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) { resolve(undefined); req.pause(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function intParam(q: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^[0-9]{1,15}$/.test(v)) throw new BadRequest(name, `${name} must be a non-negative integer`);
  const n = Number(v);
  if (n < min || n > max) throw new BadRequest(name, `${name} must be between ${min} and ${max}`);
  return n;
}

export function wsiHandler(d: WsiHttpDeps) {
  const windows = new Map<string, { start: number; n: number }>();
  const limited = (inbox: string): boolean => {
    const t = d.now();
    const w = windows.get(inbox);
    if (!w || t - w.start >= 60_000) { windows.set(inbox, { start: t, n: 1 }); return false; }
    return ++w.n > d.limits.requestsPerMinute;
  };

  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const [inbox, op, ...rest] = path.slice(d.prefix.length).split('/');
    if (!inbox || !op || rest.length > 0 || (op !== 'messages' && op !== 'ack')) return json(res, 404, { error: 'not found' });
    const who = owner(d.tokens, req.headers.authorization);
    if (!who) return json(res, 401, { error: 'missing or unknown bearer token' }, { 'WWW-Authenticate': 'Bearer realm="wsi"' });
    if (who !== inbox) return json(res, 403, { error: 'this token is not for this inbox' });
    if (limited(who)) return json(res, 429, { error: 'too many requests' }, { 'Retry-After': '60' });
    try {
      const q = new URL(req.url ?? '/', 'https://x').searchParams;
      if (op === 'messages' && req.method === 'GET') {
        const max = intParam(q, 'max', 1, 10_000);
        const after = intParam(q, 'after', 0, Number.MAX_SAFE_INTEGER);
        const wait = intParam(q, 'wait', 0, d.limits.maxWaitS) ?? 0;
        const consume = q.get('consume') === '1' || q.get('consume') === 'true';
        const opts: { after?: number; max?: number; waitMs: number } = { waitMs: wait * 1000 };
        if (max !== undefined) opts.max = max;
        if (after !== undefined) opts.after = after;
        const list = await d.inbox.poll(inbox, opts);
        const last = list.at(-1)?.seq;
        if (consume && last !== undefined) await d.inbox.ack(inbox, last);
        return json(res, 200, { messages: list, next: last ?? after ?? 0, pending: await d.inbox.count(inbox) });
      }
      if (req.method !== 'POST') return json(res, 405, { error: 'method not allowed' }, { Allow: op === 'ack' ? 'POST' : 'GET, POST' });
      const text = await readBody(req, d.limits.maxRequestBytes);
      if (text === undefined) return json(res, 413, { error: `the body is over ${d.limits.maxRequestBytes} bytes` }, { Connection: 'close' });
      let body: unknown;
      try { body = JSON.parse(text); } catch { throw new BadRequest('body', 'the body is not JSON'); }
      if (op === 'ack') {
        const upTo = (body as { upTo?: unknown } | null)?.upTo;
        if (typeof upTo !== 'number' || !Number.isSafeInteger(upTo) || upTo < 0) throw new BadRequest('upTo', 'upTo must be a sequence number');
        const removed = await d.inbox.ack(inbox, upTo);
        return json(res, 200, { removed, pending: await d.inbox.count(inbox) });
      }
      const parsed = parseSendRequest(body, { maxRecipients: d.limits.maxRecipients, maxWaitMs: d.limits.maxWaitS * 1000 });
      const results = await d.send(inbox, parsed);
      return json(res, 200, { results });
    } catch (err) {
      if (err instanceof BadRequest) return json(res, 400, { error: err.message, field: err.field });
      throw err;
    }
  };
}
