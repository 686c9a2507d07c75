/**
 * The upload service's XMPP side, a component on upload.<domain> (XEP-0363 §3, §4, §5): disco#info
 * with the store/file identity, the feature and the §3 max-file-size form (XEP-0128); slot
 * requests from users of the host; errors with the §5 application elements.
 */
import { randomBytes } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { Readable } from 'node:stream';
import { Jid } from '../../core/jid.js';
import type { FileStore } from './files.js';
import { errorElement, iqPayload } from '../../core/stanza.js';
import { NS_UPLOAD, parseRequest, type Slot, type SlotRateLimit, type SlotRequest, sanitizeFilename, tooLarge, tryLater, UploadError, validMediaType } from './slots.js';

declare module '../../core/module.js' {
  interface Services { upload: UploadService }
}

/** For other modules (the WSI gateway): files stored for a user of the host as if uploaded through a slot. */
export interface UploadService {
  /**
   * Stores `bytes` under a slot opened for `owner` (the same size limit, quota and rate as a
   * XEP-0363 request, and the same StanzaErrors); resolves with the GET URL.
   */
  storeFile(owner: string, file: { filename: string; contentType: string; bytes: Buffer }): Promise<string>;
}

const NS_INFO = 'http://jabber.org/protocol/disco#info';
const NS_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_DATA = 'jabber:x:data';

export interface UploadOptions {
  max_file_size: number;
  quota_bytes: number;
  max_age_s: number;
  slot_lifetime_s: number;
}

export interface SlotDeps {
  host: string;
  domain: string;
  options: UploadOptions;
  slots: Map<string, Slot>;
  rate: SlotRateLimit;
  usage(owner: string): Promise<{ bytes: number; oldest?: number }>;
  /** Base URL for GET and PUT, without a trailing slash, or undefined while not listening. */
  baseUrl(): string | undefined;
  now(): number;
}

export function discoInfo(domain: string, maxFileSize: number): Element {
  return xml('query', { xmlns: NS_INFO },
    xml('identity', { category: 'store', type: 'file', name: 'HTTP File Upload' }),
    xml('feature', { var: NS_INFO }),
    xml('feature', { var: NS_UPLOAD }),
    xml('x', { xmlns: NS_DATA, type: 'result' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_UPLOAD)),
      xml('field', { var: 'max-file-size' }, xml('value', {}, String(maxFileSize)))));
}

export async function requestSlot(d: SlotDeps, from: Jid, req: Element): Promise<Element> {
  const { slot, url } = await openSlot(d, from, parseRequest(req, d.options.max_file_size));
  return xml('slot', { xmlns: NS_UPLOAD },
    xml('put', { url }, xml('header', { name: 'Authorization' }, slot.token)),
    xml('get', { url }));
}

/** A slot for `ask` (§4) under the §5 checks: who, rate, quota; with its PUT/GET URL. */
export async function openSlot(d: SlotDeps, from: Jid, ask: SlotRequest): Promise<{ slot: Slot; url: string }> {
  // §5 forbidden: the service is for the accounts of its host.
  if (from.domain !== d.host || !from.local) throw new StanzaError('forbidden', 'only users of this server may upload');
  const now = d.now();
  const retry = d.rate.take(from.local, now);
  if (retry !== undefined) throw tryLater('too many upload requests; try again later', retry);
  if (d.options.quota_bytes > 0) {
    const used = await d.usage(from.local);
    let pending = 0;
    for (const s of d.slots.values()) if (s.owner === from.local && s.expires >= now) pending += s.size;
    if (used.bytes + pending + ask.size > d.options.quota_bytes) {
      // The oldest file's expiry frees space; without expiry only deleting files would.
      const at = used.oldest !== undefined && d.options.max_age_s > 0 ? used.oldest + d.options.max_age_s * 1000 : now + 3_600_000;
      throw tryLater(`upload quota of ${d.options.quota_bytes} bytes exceeded`, Math.max(at, now + 1000));
    }
  }
  const base = d.baseUrl();
  if (!base) throw new StanzaError('service-unavailable', 'uploads are not being served');
  // 192 random bits, URL-safe: the GET URL is the only access control on the file (§8).
  const id = randomBytes(24).toString('base64url');
  const slot: Slot = { ...ask, id, owner: from.local, token: randomBytes(24).toString('base64url'), expires: now + d.options.slot_lifetime_s * 1000 };
  d.slots.set(id, slot);
  const url = `${base}/upload/${encodeURIComponent(d.host)}/${id}/${encodeURIComponent(slot.filename)}`;
  return { slot, url };
}

/** The error reply, with the §5 element when there is one. */
export function errorFor(stanza: Element, err: StanzaError): Element {
  const e = errorElement(err);
  if (err instanceof UploadError) e.append(err.extra);
  const attrs: Record<string, string> = { type: 'error' };
  if (stanza.attrs.to) attrs.from = stanza.attrs.to;
  if (stanza.attrs.from) attrs.to = stanza.attrs.from;
  if (stanza.attrs.id) attrs.id = stanza.attrs.id;
  return xml(stanza.name, attrs, e);
}

/** Handles one stanza to the service; resolves with the reply to route, if any. */
export async function handleStanza(d: SlotDeps, stanza: Element, from: Jid): Promise<Element | undefined> {
  const type = stanza.attrs.type;
  if (type === 'error' || (stanza.name === 'iq' && type === 'result')) return undefined;
  if (stanza.name === 'presence') return undefined;
  if (stanza.name !== 'iq') return errorFor(stanza, new StanzaError('service-unavailable'));
  const payload = iqPayload(stanza);
  const result = (child?: Element) => {
    const r = xml('iq', { type: 'result', id: stanza.attrs.id, from: d.domain, to: stanza.attrs.from });
    if (child) r.append(child);
    return r;
  };
  try {
    if (type === 'get' && payload?.name === 'query' && payload.attrs.xmlns === NS_INFO) {
      if (payload.attrs.node !== undefined) throw new StanzaError('item-not-found');
      return result(discoInfo(d.domain, d.options.max_file_size));
    }
    if (type === 'get' && payload?.name === 'query' && payload.attrs.xmlns === NS_ITEMS) {
      if (payload.attrs.node !== undefined) throw new StanzaError('item-not-found');
      return result(xml('query', { xmlns: NS_ITEMS }));
    }
    if (type === 'get' && payload?.name === 'request' && payload.attrs.xmlns === NS_UPLOAD) {
      return result(await requestSlot(d, from, payload));
    }
    throw new StanzaError('service-unavailable');
  } catch (err) {
    if (err instanceof StanzaError) return errorFor(stanza, err);
    throw err;
  }
}

/** UploadService.storeFile: a slot, then the bytes written as its PUT would write them. */
export async function storeFile(d: SlotDeps, files: FileStore, owner: string, file: { filename: string; contentType: string; bytes: Buffer }): Promise<string> {
  const size = file.bytes.length;
  if (size > d.options.max_file_size) throw tooLarge(d.options.max_file_size);
  if (size === 0 || !validMediaType(file.contentType)) throw new StanzaError('bad-request', 'an empty file or a bad media type');
  const { slot, url } = await openSlot(d, Jid.of(owner, d.host), { filename: sanitizeFilename(file.filename), size, contentType: file.contentType });
  // The slot stays open while the bytes are written, so the quota counts them meanwhile.
  try {
    const n = await files.receive(slot.id, Readable.from([file.bytes]), size);
    if (n !== size) throw new Error(`stored ${n} of ${size} bytes`);
    await files.commit(slot.id, { owner, filename: slot.filename, size, type: file.contentType, created: d.now() });
  } finally {
    d.slots.delete(slot.id);
  }
  return url;
}
