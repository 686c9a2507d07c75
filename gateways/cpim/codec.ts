/**
 * message/cpim (RFC 3862), pure and standalone: no XMPP imports.
 *
 * Layout (§2): message headers, CRLF, the encapsulated MIME entity's headers, CRLF, its content.
 * Message headers follow §3.1 strictly: `Name:` + `;param`s + exactly one SP + value + CRLF, no
 * folding (§3.1 "continuation lines are not permitted"), case-sensitive names, UTF-8, no control
 * characters (HEADERCHAR excludes CTL); escapes per §3.2 (`\uXXXX`, `\b \t \n \r \" \' \\`).
 * Namespaced headers (§3.4) need a prefix declared by an earlier `NS` header; `Require` (§3.5)
 * lists header names a receiver must understand. From and DateTime occur at most once (§4.1,
 * §4.4). MIME content headers are held to the same line rules (CRLF, no folding, ": ").
 *
 * Parsing keeps every header's raw text, so serialize(parse(bytes)) returns the same bytes.
 * The content runs to the end of the input, untouched (a `Content-length`, if present, must match).
 */

export class CpimError extends Error {
  constructor(readonly what: string, readonly line: number, readonly column: number) {
    super(`line ${line}, column ${column}: ${what}`);
    this.name = 'CpimError';
  }
}

/** One `;name=value` parameter, value raw (a String keeps its quotes and escapes). */
export interface CpimParam { name: string; value: string }

export interface CpimHeader {
  /** The namespace prefix before the dot, if any (case-sensitive). */
  prefix?: string;
  name: string;
  params: CpimParam[];
  /** Raw value, escapes intact; decode with decodeValue(). */
  value: string;
}

export interface MimeHeader { name: string; value: string }

export interface CpimDocument {
  headers: CpimHeader[];
  contentHeaders: MimeHeader[];
  content: Buffer;
}

/** The namespace of unprefixed headers until an `NS` without prefix changes it (§3.4). */
export const CPIM_CORE_NS = 'urn:ietf:params:cpim-headers:';

const NAMECHAR = /^[A-Za-z0-9!#$%&'*+\-^_`|~]+$/;
const MIME_NAME = /^[!-9;-~]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

interface Line { text: string; no: number }

/** Splits off CRLF-terminated lines until an empty one; returns them and the offset after it. */
function headerBlock(buf: Buffer, start: number, firstLine: number, section: string): { lines: Line[]; end: number } {
  const lines: Line[] = [];
  let pos = start;
  let no = firstLine;
  for (;;) {
    let i = pos;
    while (i < buf.length && buf[i] !== 0x0a && buf[i] !== 0x0d) {
      const b = buf[i]!;
      if (b < 0x20 || b === 0x7f) throw new CpimError(`control byte 0x${b.toString(16).padStart(2, '0')} in ${section}`, no, i - pos + 1);
      i++;
    }
    if (i >= buf.length) {
      throw new CpimError(i === pos ? `missing blank line after ${section}` : `${section} line not terminated by CRLF`, no, i - pos + 1);
    }
    if (buf[i] === 0x0a) throw new CpimError('bare LF (lines end in CRLF)', no, i - pos + 1);
    if (buf[i + 1] !== 0x0a) throw new CpimError('bare CR (lines end in CRLF)', no, i - pos + 1);
    if (i === pos) return { lines, end: i + 2 };
    let text: string;
    try {
      text = utf8.decode(buf.subarray(pos, i));
    } catch {
      throw new CpimError('invalid UTF-8', no, 1);
    }
    if (text[0] === ' ') throw new CpimError('folded header (continuation lines are not allowed)', no, 1);
    lines.push({ text, no });
    pos = i + 2;
    no++;
  }
}

/** Parses a message/cpim document. Throws CpimError saying what is wrong and where. */
export function parseCpim(input: Buffer | string): CpimDocument {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const msg = headerBlock(buf, 0, 1, 'message headers');
  if (msg.lines.length === 0) throw new CpimError('no message headers', 1, 1);
  const headers: CpimHeader[] = [];
  const prefixes = new Set<string>();
  const once = new Set<string>();
  for (const l of msg.lines) {
    const h = parseHeaderLine(l);
    if (h.prefix !== undefined && !prefixes.has(h.prefix)) throw new CpimError(`namespace prefix '${h.prefix}' is not declared by an earlier NS header`, l.no, 1);
    if (h.prefix === undefined) {
      if ((h.name === 'From' || h.name === 'DateTime') && once.has(h.name)) throw new CpimError(`duplicate ${h.name} header`, l.no, 1);
      once.add(h.name);
      checkCoreHeader(h, l, prefixes);
    }
    headers.push(h);
  }
  const mime = headerBlock(buf, msg.end, msg.lines.length + 2, 'content headers');
  const contentHeaders = mime.lines.map(parseMimeLine);
  const content = buf.subarray(mime.end);
  const len = contentHeaders.find((h) => h.name.toLowerCase() === 'content-length');
  if (len) {
    const no = msg.lines.length + 2 + contentHeaders.indexOf(len);
    if (!/^[0-9]{1,10}$/.test(len.value)) throw new CpimError('Content-length is not a number', no, len.name.length + 3);
    if (Number(len.value) !== content.length) throw new CpimError(`Content-length ${len.value} but the content has ${content.length} bytes`, no, len.name.length + 3);
  }
  return { headers, contentHeaders, content: Buffer.from(content) };
}

function parseHeaderLine(l: Line): CpimHeader {
  const t = l.text;
  const colon = t.indexOf(':');
  if (colon < 0) throw new CpimError("header without ':'", l.no, t.length + 1);
  const fullName = t.slice(0, colon);
  const dot = fullName.indexOf('.');
  const prefix = dot >= 0 ? fullName.slice(0, dot) : undefined;
  const name = dot >= 0 ? fullName.slice(dot + 1) : fullName;
  if ((prefix !== undefined && !NAMECHAR.test(prefix)) || !NAMECHAR.test(name)) throw new CpimError(`invalid header name '${fullName}'`, l.no, 1);
  let i = colon + 1;
  const params: CpimParam[] = [];
  while (t[i] === ';') {
    const start = i + 1;
    const eq = t.indexOf('=', start);
    if (eq < 0) throw new CpimError("parameter without '='", l.no, start + 1);
    const pname = t.slice(start, eq);
    if (!NAMECHAR.test(pname)) throw new CpimError(`invalid parameter name '${pname}'`, l.no, start + 1);
    let j = eq + 1;
    if (t[j] === '"') {
      j++;
      while (j < t.length && t[j] !== '"') j += t[j] === '\\' ? 2 : 1;
      if (j >= t.length) throw new CpimError('unterminated quoted parameter value', l.no, eq + 2);
      j++;
    } else {
      while (j < t.length && t[j] !== ';' && t[j] !== ' ') j++;
    }
    const value = t.slice(eq + 1, j);
    checkParamValue(pname, value, l, eq + 2);
    params.push({ name: pname, value });
    i = j;
  }
  if (t[i] !== ' ') throw new CpimError(`missing space after '${fullName}:'`, l.no, i + 1);
  const value = t.slice(i + 1);
  checkEscapes(value, l, i + 2);
  return prefix === undefined ? { name, params, value } : { prefix, name, params, value };
}

function checkParamValue(name: string, v: string, l: Line, col: number): void {
  if (name === 'lang') {
    if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(v)) throw new CpimError(`invalid language tag '${v}'`, l.no, col);
    return;
  }
  if (v.startsWith('"')) return checkEscapes(v.slice(1, -1), l, col + 1);
  if (!/^[A-Za-z0-9!#$%&'*+\-^_`|~.\u0080-\uffff]+$/.test(v)) throw new CpimError(`invalid parameter value '${v}'`, l.no, col);
}

const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', r: '\r', '"': '"', "'": "'", '\\': '\\' };

function checkEscapes(v: string, l: Line, col: number): void {
  try {
    decodeValue(v);
  } catch (e) {
    if (e instanceof EscapeError) throw new CpimError(e.message, l.no, col + e.at);
    throw e;
  }
}

class EscapeError extends Error {
  constructor(message: string, readonly at: number) { super(message); }
}

/** Decodes the §3.2 escapes of a raw header value or String. */
export function decodeValue(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = raw[i + 1];
    if (e === 'u') {
      const hex = raw.slice(i + 2, i + 6);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw new EscapeError(`bad escape '\\u${hex}' (needs 4 hex digits)`, i);
      let cp = parseInt(hex, 16);
      if (cp >= 0xd800 && cp <= 0xdbff) {
        const lo = /^\\u([0-9A-Fa-f]{4})/.exec(raw.slice(i + 6));
        const lcp = lo ? parseInt(lo[1]!, 16) : -1;
        if (lcp < 0xdc00 || lcp > 0xdfff) throw new EscapeError(`bad escape '\\u${hex}' (high surrogate without low surrogate)`, i);
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lcp - 0xdc00);
        i += 6;
      } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        throw new EscapeError(`bad escape '\\u${hex}' (lone low surrogate)`, i);
      }
      out += String.fromCodePoint(cp);
      i += 5;
    } else if (e !== undefined && ESCAPES[e] !== undefined) {
      out += ESCAPES[e];
      i++;
    } else {
      throw new EscapeError(e === undefined ? "bad escape: '\\' at end of value" : `bad escape '\\${e}'`, i);
    }
  }
  return out;
}

/** Encodes text as a header value: backslash and controls escaped, so it stays on one line. */
export function encodeValue(text: string, quote = false): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (quote && ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (cp < 0x20 || cp === 0x7f) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function checkCoreHeader(h: CpimHeader, l: Line, prefixes: Set<string>): void {
  const at = (what: string) => new CpimError(what, l.no, h.name.length + 3);
  switch (h.name) {
    case 'From':
    case 'To':
    case 'cc':
      if (!parseAddress(h.value)) throw at(`${h.name} is not '[Formal-name] <URI>'`);
      break;
    case 'DateTime': {
      const m = DATE_TIME.exec(h.value);
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 12 || Number(m[3]) < 1 || Number(m[3]) > 31 || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 60) throw at(`DateTime '${h.value}' is not an RFC 3339 date-time`);
      break;
    }
    case 'NS': {
      const m = /^(?:([^ ]+) )?<([^<> ]+)>$/.exec(h.value);
      if (!m || (m[1] !== undefined && !NAMECHAR.test(m[1]))) throw at("NS is not '[prefix] <URI>'");
      if (m[1] !== undefined) prefixes.add(m[1]);
      break;
    }
    case 'Require':
      for (const n of h.value.split(/, ?/)) {
        const parts = n.split('.');
        if (parts.length > 2 || parts.some((p) => !NAMECHAR.test(p))) throw at(`Require lists an invalid header name '${n}'`);
      }
      break;
    default:
  }
}

function parseMimeLine(l: Line): MimeHeader {
  const colon = l.text.indexOf(':');
  if (colon < 0) throw new CpimError("content header without ':'", l.no, l.text.length + 1);
  const name = l.text.slice(0, colon);
  if (!MIME_NAME.test(name)) throw new CpimError(`invalid content header name '${name}'`, l.no, 1);
  if (l.text[colon + 1] !== ' ') throw new CpimError(`missing space after '${name}:'`, l.no, colon + 2);
  return { name, value: l.text.slice(colon + 2) };
}

/** `[Formal-name] <URI>` (§3.3): the decoded display name (if any) and the URI. */
export function parseAddress(raw: string): { name?: string; uri: string } | undefined {
  const m = /^(?:(.*) )?<([^<> ]+)>$/.exec(raw);
  if (!m) return undefined;
  const formal = m[1];
  if (formal === undefined) return { uri: m[2]! };
  if (formal.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(formal)) return undefined;
    try {
      return { name: decodeValue(formal.slice(1, -1)), uri: m[2]! };
    } catch {
      return undefined;
    }
  }
  if (!formal.split(' ').every((tok) => /^[A-Za-z0-9!#$%&'*+\-^_`|~.\u0080-\uffff]+$/.test(tok))) return undefined;
  return { name: formal, uri: m[2]! };
}

/** Formats an address header value: tokens stay bare, anything else becomes a quoted String. */
export function formatAddress(uri: string, name?: string): string {
  if (name === undefined || name === '') return `<${uri}>`;
  const bare = name.split(' ').every((tok) => /^[A-Za-z0-9!#$%&'*+\-^_`|~.\u0080-\uffff]+$/.test(tok));
  return bare ? `${name} <${uri}>` : `"${encodeValue(name, true)}" <${uri}>`;
}

/** The bytes of a document; throws CpimError if the result would not parse back to the same document. */
export function serializeCpim(doc: CpimDocument): Buffer {
  let head = '';
  for (const h of doc.headers) {
    head += `${h.prefix !== undefined ? `${h.prefix}.` : ''}${h.name}:${h.params.map((p) => `;${p.name}=${p.value}`).join('')} ${h.value}\r\n`;
  }
  head += '\r\n';
  for (const h of doc.contentHeaders) head += `${h.name}: ${h.value}\r\n`;
  head += '\r\n';
  const out = Buffer.concat([Buffer.from(head, 'utf8'), doc.content]);
  parseCpim(out);
  return out;
}

/** Namespace URI per declared prefix ('' = the default namespace). */
export function namespaces(doc: CpimDocument): Map<string, string> {
  const map = new Map<string, string>([['', CPIM_CORE_NS]]);
  for (const h of doc.headers) {
    if (h.prefix !== undefined || h.name !== 'NS') continue;
    const m = /^(?:([^ ]+) )?<([^<> ]+)>$/.exec(h.value)!;
    map.set(m[1] ?? '', m[2]!);
  }
  return map;
}

/** Headers named `name` in namespace `ns` (by URI, whatever prefix the sender chose). */
export function headersIn(doc: CpimDocument, ns: string, name: string): CpimHeader[] {
  const out: CpimHeader[] = [];
  const map = new Map<string, string>([['', CPIM_CORE_NS]]);
  for (const h of doc.headers) {
    if (h.prefix === undefined && h.name === 'NS') {
      const m = /^(?:([^ ]+) )?<([^<> ]+)>$/.exec(h.value)!;
      map.set(m[1] ?? '', m[2]!);
    }
    if (h.name === name && map.get(h.prefix ?? '') === ns) out.push(h);
  }
  return out;
}

/** The header names listed by Require that are not in `understood` (entries `namespaceURI name`). */
export function unknownRequired(doc: CpimDocument, understood: Set<string>): string[] {
  const ns = namespaces(doc);
  const out: string[] = [];
  for (const h of doc.headers) {
    if (h.prefix !== undefined || h.name !== 'Require') continue;
    for (const n of h.value.split(/, ?/)) {
      const [p, local] = n.includes('.') ? n.split('.') as [string, string] : ['', n];
      const uri = ns.get(p);
      if (uri === undefined || !understood.has(`${uri} ${local}`)) out.push(n);
    }
  }
  return out;
}

export function contentHeader(doc: CpimDocument, name: string): string | undefined {
  return doc.contentHeaders.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}

/** The media type (lowercased, without parameters) and charset of the content. */
export function contentType(doc: CpimDocument): { type: string; charset?: string } {
  const raw = contentHeader(doc, 'Content-Type') ?? 'text/plain';
  const [type, ...params] = raw.split(';').map((s) => s.trim());
  let charset: string | undefined;
  for (const p of params) {
    const m = /^charset=("?)([^"]+)\1$/i.exec(p);
    if (m) charset = m[2]!.toLowerCase();
  }
  return charset === undefined ? { type: type!.toLowerCase() } : { type: type!.toLowerCase(), charset };
}
