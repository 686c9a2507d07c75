/**
 * The one WSI service behind both bindings (REST/JSON in http.ts, SOAP 1.1 in soap.ts): who a
 * request is from (WSI-13/28: a bearer token, or a WS-Security UsernameToken, bound to the inbox
 * account; an inbox is read only by its owner), the per-inbox request rate, and the operations
 * GetMessages (WSI-6/7/24/25/30/31), Acknowledge and SendMessages (WSI-5/8..12/29/32..36).
 * Bindings only translate their wire format to these calls and WsiError to their error format.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Element } from '@xmpp/xml';
import { Parser } from '@xmpp/xml';
import type { Inbox, InboxMessage } from './inbox.js';
import { BadRequest, parseSendRequest, WSI_NS, type SendRequest } from './send.js';

export interface RecipientStatus { message: number; recipient: string; jid?: string; status: 'accepted' | 'error'; condition?: string }

/** A refused request: its HTTP status, a stable machine-readable reason, and the field if one is wrong. */
export type Reason = 'unauthorized' | 'forbidden' | 'rate-limited' | 'too-large' | 'bad-request' | 'not-found' | 'method-not-allowed';
export class WsiError extends Error {
  constructor(readonly status: number, readonly reason: Reason, message: string, readonly field?: string) { super(message); }
}

export interface WsiLimits { requestsPerMinute: number; maxRequestBytes: number; maxRecipients: number; maxWaitS: number }

export interface WsiServiceDeps {
  /** Inbox username → SHA-256 of its token. */
  tokens: ReadonlyMap<string, Buffer>;
  inbox: Inbox;
  send(inbox: string, req: SendRequest): Promise<RecipientStatus[]>;
  limits: WsiLimits;
  now(): number;
}

/** One message as GetMessages returns it: the XMPP stanza, and its content decoded for consumers that do not read XMPP. */
export interface MessageView extends InboxMessage { contentType: string; body: string; subject?: string; url?: string }
export interface GetMessagesResult { messages: MessageView[]; next: number; pending: number }
export interface GetOptions { max?: number; after?: number; waitS?: number; consume?: boolean }

/** Credentials as a binding found them. */
export type Credentials = { bearer?: string | undefined; username?: string; password?: string };

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function bearerOf(req: IncomingMessage): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
}

export function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) { reject(new WsiError(413, 'too-large', `the body is over ${max} bytes`)); req.pause(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseStanza(s: string): Element | undefined {
  let el: Element | undefined;
  const p = new Parser();
  p.on('element', (e: Element) => { el ??= e; });
  try { p.write(`<r>${s}</r>`); } catch { return undefined; }
  return el;
}

/**
 * text/plain from <body/>, or the carried type and its base64 from <wsi-content/> (WSI-12/36,
 * receive side); a file a client shared (XEP-0363 upload, XEP-0066 <x xmlns='jabber:x:oob'/>) as `url`.
 */
export function viewOf(m: InboxMessage): MessageView {
  const el = parseStanza(m.stanza);
  const carried = el?.getChild('wsi-content', WSI_NS);
  const v: MessageView = carried
    ? { ...m, contentType: carried.attrs.type ?? 'application/octet-stream', body: carried.text() }
    : { ...m, contentType: 'text/plain', body: el?.getChildText('body') ?? '' };
  const subject = el?.getChildText('subject');
  if (subject) v.subject = subject;
  const url = el?.getChild('x', 'jabber:x:oob')?.getChildText('url')?.trim();
  if (url) v.url = url;
  return v;
}

export interface WsiService {
  readonly limits: WsiLimits;
  /** The inbox these credentials may use, or a 401/403/429 WsiError. */
  authorize(inbox: string, c: Credentials): string;
  getMessages(inbox: string, o: GetOptions): Promise<GetMessagesResult>;
  acknowledge(inbox: string, upTo: unknown): Promise<{ removed: number; pending: number }>;
  /** `body` in the JSON shape of send.ts; checked here, so both bindings name the same fields. */
  sendMessages(inbox: string, body: unknown): Promise<RecipientStatus[]>;
}

export function createWsiService(d: WsiServiceDeps): WsiService {
  const windows = new Map<string, { start: number; n: number }>();
  const limited = (inbox: string): boolean => {
    const t = d.now();
    const w = windows.get(inbox);
    if (!w || t - w.start >= 60_000) { windows.set(inbox, { start: t, n: 1 }); return false; }
    return ++w.n > d.limits.requestsPerMinute;
  };
  /** Which inbox a secret belongs to, compared as digests in constant time over every inbox. */
  const ownerOf = (secret: string): string | undefined => {
    const h = sha256(secret);
    let found: string | undefined;
    for (const [u, t] of d.tokens) if (timingSafeEqual(h, t) && found === undefined) found = u;
    return found;
  };

  return {
    limits: d.limits,
    authorize(inbox, c) {
      const secret = c.bearer ?? c.password;
      const who = secret === undefined ? undefined : ownerOf(secret);
      // A UsernameToken names its inbox: a token under another name is not a credential at all.
      if (!who || (c.bearer === undefined && c.username !== who)) throw new WsiError(401, 'unauthorized', 'missing or unknown credentials');
      if (who !== inbox) throw new WsiError(403, 'forbidden', 'these credentials are not for this inbox');
      if (limited(who)) throw new WsiError(429, 'rate-limited', 'too many requests');
      return who;
    },
    async getMessages(inbox, o) {
      const check = (name: string, v: number | undefined, min: number, max: number) => {
        if (v !== undefined && (!Number.isSafeInteger(v) || v < min || v > max)) throw new WsiError(400, 'bad-request', `${name} must be an integer between ${min} and ${max}`, name);
      };
      check('max', o.max, 1, 10_000);
      check('after', o.after, 0, Number.MAX_SAFE_INTEGER);
      check('wait', o.waitS, 0, d.limits.maxWaitS);
      const opts: { after?: number; max?: number; waitMs: number } = { waitMs: (o.waitS ?? 0) * 1000 };
      if (o.max !== undefined) opts.max = o.max;
      if (o.after !== undefined) opts.after = o.after;
      const list = await d.inbox.poll(inbox, opts);
      const last = list.at(-1)?.seq;
      if (o.consume && last !== undefined) await d.inbox.ack(inbox, last);
      return { messages: list.map(viewOf), next: last ?? o.after ?? 0, pending: await d.inbox.count(inbox) };
    },
    async acknowledge(inbox, upTo) {
      if (typeof upTo !== 'number' || !Number.isSafeInteger(upTo) || upTo < 0) throw new WsiError(400, 'bad-request', 'upTo must be a sequence number', 'upTo');
      const removed = await d.inbox.ack(inbox, upTo);
      return { removed, pending: await d.inbox.count(inbox) };
    },
    async sendMessages(inbox, body) {
      let parsed: SendRequest;
      try {
        parsed = parseSendRequest(body, { maxRecipients: d.limits.maxRecipients, maxWaitMs: d.limits.maxWaitS * 1000 });
      } catch (err) {
        if (err instanceof BadRequest) throw new WsiError(400, 'bad-request', err.message, err.field);
        throw err;
      }
      return d.send(inbox, parsed);
    },
  };
}
