/**
 * The REST/JSON binding of the WSI operations (v0), under /wsi/<host>/<inbox>/ on the server's
 * HTTPS listener (described by the OpenAPI document at /wsi/<host>/openapi.json, openapi.ts):
 *   GET  messages?max=N&after=SEQ&wait=S&consume=1  GetMessages (WSI-7/31; pull only, WSI-24;
 *                                                   long-poll WSI-25), oldest first, with `next`
 *   POST ack            {"upTo": SEQ}               removes every message up to SEQ
 *   POST messages       SendMessages (send.ts)      per-recipient statuses (Appendix B §7.4)
 * The SOAP binding of the same service is at /wsi/<host>/<inbox>/soap (soap.ts).
 * Authentication (service.ts): `Authorization: Bearer <token>`; none → 401, another inbox's token
 * → 403. Rate → 429; bodies over the limit → 413; malformed → 400 with the field named.
 * Errors: {"error": text, "reason": stable reason, "field"?: name}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { openApi } from './openapi.js';
import { bearerOf, readBody, WsiError, type WsiService } from './service.js';
import { soapHandler } from './soap.js';

export type { RecipientStatus } from './service.js';

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...extra }).end(`${JSON.stringify(body)}\n`);
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^[0-9]{1,15}$/.test(v)) throw new WsiError(400, 'bad-request', `${name} must be a non-negative integer`, name);
  return Number(v);
}

const EXTRA: Partial<Record<number, Record<string, string>>> = {
  401: { 'WWW-Authenticate': 'Bearer realm="wsi"' },
  413: { Connection: 'close' },
  429: { 'Retry-After': '60' },
};

async function rest(svc: WsiService, req: IncomingMessage, res: ServerResponse, inbox: string, op: 'messages' | 'ack'): Promise<void> {
  svc.authorize(inbox, { bearer: bearerOf(req) });
  const q = new URL(req.url ?? '/', 'https://x').searchParams;
  if (op === 'messages' && req.method === 'GET') {
    const o: { max?: number; after?: number; waitS?: number; consume: boolean } = { consume: q.get('consume') === '1' || q.get('consume') === 'true' };
    for (const [k, name] of [['max', 'max'], ['after', 'after'], ['waitS', 'wait']] as const) {
      const v = intParam(q, name);
      if (v !== undefined) o[k] = v;
    }
    return json(res, 200, await svc.getMessages(inbox, o));
  }
  if (req.method !== 'POST') throw new WsiError(405, 'method-not-allowed', 'method not allowed');
  const text = await readBody(req, svc.limits.maxRequestBytes);
  let body: unknown;
  try { body = JSON.parse(text); } catch { throw new WsiError(400, 'bad-request', 'the body is not JSON', 'body'); }
  if (op === 'ack') return json(res, 200, await svc.acknowledge(inbox, (body as { upTo?: unknown } | null)?.upTo));
  return json(res, 200, { results: await svc.sendMessages(inbox, body) });
}

/** Everything under `prefix` (/wsi/<host>/): the OpenAPI document, and per inbox the REST and SOAP endpoints. */
export function wsiHandler(svc: WsiService, prefix: string, publicBase: (req: IncomingMessage) => string, log: Logger) {
  const soap = soapHandler(svc, log);
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const parts = path.slice(prefix.length).split('/');
    if (parts.length === 1 && parts[0] === 'openapi.json' && req.method === 'GET') {
      return json(res, 200, openApi(`${publicBase(req)}${prefix}`), { 'Cache-Control': 'max-age=300' });
    }
    const [inbox, op, ...rest_] = parts;
    // No existence check before authentication: an unknown inbox is 401 or 403 like another's.
    if (!inbox || rest_.length > 0) return json(res, 404, { error: 'not found', reason: 'not-found' });
    if (op === 'soap') return soap(req, res, inbox, `${publicBase(req)}${prefix}${encodeURIComponent(inbox)}/soap`);
    if (op !== 'messages' && op !== 'ack') return json(res, 404, { error: 'not found', reason: 'not-found' });
    try {
      await rest(svc, req, res, inbox, op);
    } catch (err) {
      if (!(err instanceof WsiError)) throw err;
      const extra = { ...EXTRA[err.status], ...(err.status === 405 ? { Allow: op === 'ack' ? 'POST' : 'GET, POST' } : {}) };
      const body: Record<string, string> = { error: err.message, reason: err.reason };
      if (err.field !== undefined) body.field = err.field;
      return json(res, err.status, body, extra);
    }
  };
}
