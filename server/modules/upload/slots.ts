/**
 * XEP-0363 §4 slot requests and §5 their errors, as plain functions: what a request asks for, the
 * name a file is stored and offered under, and whether the owner may have one more slot now.
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError, type StanzaErrorCondition, type StanzaErrorType } from '../../core/errors.js';

export const NS_UPLOAD = 'urn:xmpp:http:upload:0';

export interface SlotRequest { filename: string; size: number; contentType?: string }

/** A StanzaError with an application element that has children (§5's <file-too-large/>, <retry/>). */
export class UploadError extends StanzaError {
  constructor(condition: StanzaErrorCondition, text: string, type: StanzaErrorType, readonly extra: Element) {
    super(condition, text, type);
  }
}

/** §5: a file over the limit, with the limit. */
export function tooLarge(max: number): UploadError {
  return new UploadError('not-acceptable', `file too large; the maximum is ${max} bytes`, 'modify',
    xml('file-too-large', { xmlns: NS_UPLOAD }, xml('max-file-size', {}, String(max))));
}

/** §5: over a quota or a rate limit; `retry` says when asking again may succeed. */
export function tryLater(text: string, retry: number): UploadError {
  return new UploadError('resource-constraint', text, 'wait', xml('retry', { xmlns: NS_UPLOAD, stamp: new Date(retry).toISOString() }));
}

/** An open slot: the PUT may happen once, before `expires`. */
export interface Slot extends SlotRequest { id: string; owner: string; token: string; expires: number }

/** What the module stores per uploaded file (the bytes live under data_dir/upload/<host>/<id>). */
export interface FileRecord { owner: string; filename: string; size: number; type: string; created: number }

// type "/" subtype, RFC 9110 §8.3.1 tokens, optional parameters.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(\\s*;\\s*${TOKEN}=("[^"\\\\\\r\\n]*"|${TOKEN}))*$`);

export function validMediaType(t: string): boolean {
  return t.length <= 255 && MEDIA_TYPE.test(t);
}

/** The same media type for the slot and the PUT: case-insensitive type/subtype, parameters as sent. */
export function sameMediaType(a: string, b: string): boolean {
  const norm = (t: string) => {
    const i = t.indexOf(';');
    return i < 0 ? t.trim().toLowerCase() : `${t.slice(0, i).trim().toLowerCase()};${t.slice(i + 1).replace(/\s+/g, '')}`;
  };
  return norm(a) === norm(b);
}

/**
 * A file name safe to put in a URL path segment and a Content-Disposition header: the last path
 * component only, no control or separator characters, no leading dots, at most 200 characters.
 * The bytes on disk are named by the slot id, never by this.
 */
export function sanitizeFilename(raw: string): string {
  const last = raw.split(/[/\\]/).pop() ?? '';
  const cleaned = last
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}"*:<>?|]/gu, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  const chars = [...cleaned];
  const name = chars.length > 200 ? chars.slice(chars.length - 200).join('') : cleaned;
  return name || 'file';
}

export function parseRequest(req: Element, maxFileSize: number): SlotRequest {
  const filename = req.attrs.filename;
  const sizeAttr = req.attrs.size;
  if (typeof filename !== 'string' || filename.trim() === '') throw new StanzaError('bad-request', 'a filename is required');
  if (typeof sizeAttr !== 'string' || !/^[0-9]{1,16}$/.test(sizeAttr)) throw new StanzaError('bad-request', 'size must be a number of bytes');
  const size = Number(sizeAttr);
  if (size <= 0) throw new StanzaError('bad-request', 'size must be positive');
  const contentType: string | undefined = req.attrs['content-type'];
  if (contentType !== undefined && !validMediaType(contentType)) throw new StanzaError('bad-request', 'content-type is not a media type');
  if (size > maxFileSize) throw tooLarge(maxFileSize);
  return contentType === undefined ? { filename: sanitizeFilename(filename), size } : { filename: sanitizeFilename(filename), size, contentType };
}

/** Requests per user in a sliding minute. */
export class SlotRateLimit {
  private readonly recent = new Map<string, number[]>();
  constructor(private readonly perMinute: number) {}

  /** Counts a request; returns undefined if allowed, else when the next one will be. */
  take(user: string, now: number): number | undefined {
    const list = (this.recent.get(user) ?? []).filter((t) => t > now - 60_000);
    if (list.length >= this.perMinute) {
      this.recent.set(user, list);
      return list[0]! + 60_000;
    }
    list.push(now);
    this.recent.set(user, list);
    return undefined;
  }

  prune(now: number): void {
    for (const [u, list] of this.recent) if (list.every((t) => t <= now - 60_000)) this.recent.delete(u);
  }
}

/** Inline only for types browsers render without running anything; everything else downloads. */
export function dispositionFor(type: string, filename: string): string {
  const essence = type.split(';')[0]!.trim().toLowerCase();
  const inline = /^(image\/(png|jpeg|gif|webp|avif)|audio\/[\w.+-]+|video\/[\w.+-]+|text\/plain)$/.test(essence);
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
