/**
 * The HTTP side of XEP-0363 (§6 upload, §8 security): PUT once to an open slot with its
 * Authorization header, body size and media type as the slot says; GET/HEAD of stored files with
 * their media type, a Content-Disposition, and headers that keep browsers from running what they
 * fetch; CORS (§7 implementation notes) so that web clients such as Converse.js can upload.
 * Paths: /upload/<host>/<id>/<filename>; only the id matters.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { FileStore } from './files.js';
import { ID_PATTERN } from './files.js';
import { dispositionFor, type FileRecord, sameMediaType, type Slot, validMediaType } from './slots.js';

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, PUT, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type',
  'Access-Control-Max-Age': '86400',
};

const DOWNLOAD_SECURITY = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'Cache-Control': 'private, max-age=86400, immutable',
};

export interface UploadHttpDeps {
  prefix: string;
  files: FileStore;
  /** Takes the open slot for an id out of the table, if the token matches (so it is used at most once). */
  slots: { peek(id: string): Slot | undefined; take(id: string): void };
  /** Whether a stored file is past its lifetime. */
  expired(r: FileRecord, now: number): boolean;
  now(): number;
  log: Logger;
}

function text(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...CORS, 'Content-Type': 'text/plain; charset=utf-8', ...extra }).end(`${body}\n`);
}

function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function uploadHandler(d: UploadHttpDeps) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const id = path.slice(d.prefix.length).split('/')[0] ?? '';
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS).end();
      return;
    }
    if (!ID_PATTERN.test(id)) return text(res, 404, 'not found');
    if (req.method === 'PUT') return put(d, id, req, res);
    if (req.method === 'GET' || req.method === 'HEAD') return get(d, id, req, res);
    return text(res, 405, 'method not allowed', { Allow: 'GET, HEAD, PUT, OPTIONS' });
  };
}

async function put(d: UploadHttpDeps, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // A second PUT finds the file already there: refused, the stored bytes stay as they are.
  if ((await d.files.get(id)) || (await d.files.exists(id))) return text(res, 403, 'this slot was already used', { Connection: 'close' });
  const slot = d.slots.peek(id);
  if (!slot || slot.expires < d.now()) return text(res, 404, 'no such upload slot (unknown or expired)', { Connection: 'close' });
  if (!tokenMatches(req.headers.authorization, slot.token)) return text(res, 403, 'missing or wrong Authorization header', { Connection: 'close' });
  const lengthHeader = req.headers['content-length'];
  if (lengthHeader !== undefined) {
    const declared = Number(lengthHeader);
    if (declared > slot.size) return text(res, 413, `the slot is for ${slot.size} bytes`, { Connection: 'close' });
    if (declared !== slot.size) return text(res, 400, `the slot is for ${slot.size} bytes`, { Connection: 'close' });
  }
  const sent = req.headers['content-type'];
  if (slot.contentType !== undefined && (sent === undefined || !sameMediaType(sent, slot.contentType))) {
    return text(res, 415, `the slot is for ${slot.contentType}`, { Connection: 'close' });
  }
  // Taken before the body arrives: two concurrent PUTs cannot both write.
  d.slots.take(id);
  const n = await d.files.receive(id, req, slot.size);
  if (n > slot.size) return text(res, 413, `the slot is for ${slot.size} bytes`, { Connection: 'close' });
  if (n !== slot.size) return text(res, 400, `the slot is for ${slot.size} bytes, got ${n}`, { Connection: 'close' });
  const type = slot.contentType ?? (typeof sent === 'string' && validMediaType(sent) ? sent : 'application/octet-stream');
  await d.files.commit(id, { owner: slot.owner, filename: slot.filename, size: slot.size, type, created: d.now() });
  d.log.info({ owner: slot.owner, size: slot.size }, 'file uploaded');
  text(res, 201, 'created');
}

async function get(d: UploadHttpDeps, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rec = await d.files.get(id);
  if (!rec || d.expired(rec, d.now())) return text(res, 404, 'not found');
  const headers = {
    ...CORS,
    ...DOWNLOAD_SECURITY,
    'Content-Type': rec.type,
    'Content-Length': String(rec.size),
    'Content-Disposition': dispositionFor(rec.type, rec.filename),
    'Last-Modified': new Date(rec.created).toUTCString(),
  };
  if (req.method === 'HEAD') {
    res.writeHead(200, headers).end();
    return;
  }
  const stream = createReadStream(d.files.pathOf(id));
  await new Promise<void>((resolve) => {
    stream.once('open', () => {
      res.writeHead(200, headers);
      stream.pipe(res);
    });
    stream.once('error', () => {
      if (!res.headersSent) text(res, 404, 'not found');
      else res.destroy();
      resolve();
    });
    stream.once('end', resolve);
    res.once('close', () => { stream.destroy(); resolve(); });
  });
}
