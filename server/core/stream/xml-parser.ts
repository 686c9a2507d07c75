/**
 * Streaming XML for XMPP streams, with RFC 6120 §11 restricted XML and resource limits enforced
 * while parsing. Built on ltx's SAX tokenizer (the one @xmpp/xml uses) and @xmpp/xml Elements.
 *
 * What the tokenizer does not do and this layer does (see ../shared/DEPENDENCIES.md):
 * - bytes are decoded with a fatal, streaming UTF-8 decoder: invalid UTF-8 → not-well-formed
 *   (and multi-byte characters split across reads stay intact);
 * - comments, processing instructions (other than the XML declaration before the stream header)
 *   and DTDs are rejected → restricted-xml (RFC 6120 §11.1); unknown entities → restricted-xml;
 * - mismatched end tags and character data at stream level → not-well-formed / bad-format;
 * - limits → policy-violation: the size of a stanza is counted from its names, attributes and
 *   text as they are parsed, and the raw bytes since the last complete stanza are counted per
 *   slice of at most SLICE bytes (the tokenizer buffers text until the next '<'), so no more than
 *   limit + 2·SLICE bytes of one stanza are ever held; also element depth, attribute count and
 *   the stream header's size.
 */
import SaxLtx from 'ltx/lib/parsers/ltx.js';
import { Element } from '@xmpp/xml';
import { TextDecoder } from 'node:util';
import { StreamError } from '../errors.js';

export interface XmlLimits {
  maxStanzaBytes: number;
  /** Depth of elements inside a stanza (the stanza itself is depth 1). */
  maxDepth: number;
  maxAttributes: number;
  maxHeaderBytes: number;
}

export interface XmlStreamHandler {
  streamStart(name: string, attrs: Record<string, string>): void;
  stanza(el: Element): void;
  streamEnd(): void;
  error(err: StreamError): void;
}

const SLICE = 4 * 1024;
const CDATA_OPEN = '<![CDATA[';

interface SaxParser {
  write(data: string): void;
  on(ev: 'startElement', fn: (name: string, attrs: Record<string, string>) => void): void;
  on(ev: 'endElement', fn: (name: string) => void): void;
  on(ev: 'text', fn: (text: string) => void): void;
}

export class XmlStreamParser {
  private sax!: SaxParser;
  private decoder!: TextDecoder;
  private depth = 0;
  private cursor: Element | null = null;
  private streamName = '';
  private headerSeen = false;
  private pendingBytes = 0;
  private stanzaDone = false;
  private stanzaSize = 0;
  private carry = '';
  private preHeader = '';
  private failed = false;

  constructor(private readonly limits: XmlLimits, private handler: XmlStreamHandler) {
    this.reset();
  }

  /** Hands the rest of this stream to another handler (XEP-0198 resumption moves a connection into the old session). */
  setHandler(handler: XmlStreamHandler): void {
    this.handler = handler;
  }

  /** A fresh parser for a restarted stream (after STARTTLS and SASL, RFC 6120 §4.3.3). */
  reset(): void {
    const sax = new (SaxLtx as unknown as new () => SaxParser)();
    sax.on('startElement', (name, attrs) => this.onStart(name, attrs));
    sax.on('endElement', (name) => this.onEnd(name));
    sax.on('text', (text) => this.onText(text));
    this.sax = sax;
    this.decoder = new TextDecoder('utf-8', { fatal: true });
    this.depth = 0;
    this.cursor = null;
    this.streamName = '';
    this.headerSeen = false;
    this.pendingBytes = 0;
    this.stanzaSize = 0;
    this.carry = '';
    this.preHeader = '';
    this.failed = false;
  }

  write(chunk: Buffer): void {
    for (let off = 0; off < chunk.length && !this.failed; off += SLICE) {
      const slice = off === 0 && chunk.length <= SLICE ? chunk : chunk.subarray(off, off + SLICE);
      this.writeSlice(slice);
    }
  }

  private writeSlice(bytes: Buffer): void {
    let text: string;
    try {
      text = this.decoder.decode(bytes, { stream: true });
    } catch {
      return this.fail(new StreamError('not-well-formed', 'invalid UTF-8'));
    }
    if (!this.checkRestricted(text)) return;
    if (!this.headerSeen) {
      text = this.stripDeclaration(text);
      if (text === '') return this.countHeaderBytes(bytes.length);
    }
    this.stanzaDone = false;
    try {
      this.sax.write(text);
    } catch (err) {
      const msg = (err as Error).message ?? '';
      return this.fail(msg.includes('entity')
        ? new StreamError('restricted-xml', 'only the predefined entities are allowed')
        : new StreamError('not-well-formed'));
    }
    if (this.failed) return;
    // Raw bytes since the last complete stanza; overestimates the current one by at most a slice.
    this.pendingBytes = this.stanzaDone ? bytes.length : this.pendingBytes + bytes.length;
    if (!this.headerSeen) {
      this.countHeaderBytes(0);
    } else if (this.pendingBytes > this.limits.maxStanzaBytes + SLICE) {
      this.tooLarge();
    }
  }

  private countHeaderBytes(extra: number): void {
    this.pendingBytes += extra;
    if (this.pendingBytes > this.limits.maxHeaderBytes + SLICE) this.fail(new StreamError('policy-violation', 'stream header too large'));
  }

  /**
   * Removes the XML declaration before the stream header: the tokenizer finds the end of a
   * processing instruction by looking back one character, so a '?>' split across reads would
   * swallow the header. Text is held back until the declaration is complete.
   */
  private stripDeclaration(text: string): string {
    const s = this.preHeader + text;
    const start = s.search(/\S/);
    if (start === -1 || (s.length - start < 5 && '<?xml'.startsWith(s.slice(start)))) {
      this.preHeader = s;
      return '';
    }
    if (!s.startsWith('<?xml', start)) {
      this.preHeader = '';
      return s;
    }
    const end = s.indexOf('?>', start);
    if (end === -1) {
      this.preHeader = s;
      return '';
    }
    this.preHeader = '';
    return s.slice(end + 2);
  }

  private tooLarge(): void {
    this.fail(new StreamError('policy-violation', `stanza larger than ${this.limits.maxStanzaBytes} bytes`));
  }

  /** Rejects comments, PIs and DTDs, which the tokenizer would silently skip. */
  private checkRestricted(text: string): boolean {
    const s = this.carry + text;
    for (let i = s.indexOf('<!'); i !== -1; i = s.indexOf('<!', i + 2)) {
      const rest = s.slice(i, i + CDATA_OPEN.length);
      if (rest === CDATA_OPEN) continue;
      if (CDATA_OPEN.startsWith(rest)) break; // may still become CDATA: decided with the next bytes
      this.fail(new StreamError('restricted-xml', 'comments and DTDs are not allowed'));
      return false;
    }
    for (let i = s.indexOf('<?'); i !== -1; i = s.indexOf('<?', i + 2)) {
      const isDecl = s.startsWith('<?xml', i) && (s.length < i + 6 || /[\s?]/.test(s[i + 5]!));
      if (isDecl && !this.headerSeen) continue;
      if (!isDecl && s.length - i < 6 && '<?xml '.startsWith(s.slice(i)) && !this.headerSeen) break;
      this.fail(new StreamError('restricted-xml', 'processing instructions are not allowed'));
      return false;
    }
    this.carry = s.length > CDATA_OPEN.length ? s.slice(s.length - CDATA_OPEN.length) : s;
    return true;
  }

  private onStart(name: string, attrs: Record<string, string>): void {
    if (this.failed) return;
    if (this.depth === 0) {
      this.depth = 1;
      this.headerSeen = true;
      this.streamName = name;
      this.pendingBytes = 0;
      this.stanzaDone = true;
      this.handler.streamStart(name, attrs);
      return;
    }
    if (this.depth > this.limits.maxDepth) return this.fail(new StreamError('policy-violation', 'elements nested too deeply'));
    let n = 0;
    let size = 2 * name.length + 5;
    for (const k in attrs) {
      n++;
      size += k.length + attrs[k]!.length + 4;
    }
    if (n > this.limits.maxAttributes) return this.fail(new StreamError('policy-violation', 'too many attributes'));
    if (this.depth === 1) this.stanzaSize = 0;
    this.stanzaSize += size;
    if (this.stanzaSize > this.limits.maxStanzaBytes) return this.tooLarge();
    const el = new Element(name, attrs);
    if (this.cursor) this.cursor.cnode(el);
    this.cursor = el;
    this.depth++;
  }

  private onEnd(name: string): void {
    if (this.failed) return;
    if (this.depth === 1) {
      if (name !== this.streamName) return this.fail(new StreamError('not-well-formed'));
      this.depth = 0;
      this.handler.streamEnd();
      return;
    }
    const el = this.cursor;
    if (!el || el.name !== name) return this.fail(new StreamError('not-well-formed', 'mismatched end tag'));
    this.depth--;
    if (this.depth === 1) {
      this.cursor = null;
      (el as { parent: Element | null }).parent = null;
      this.stanzaDone = true;
      this.pendingBytes = 0;
      this.handler.stanza(el);
    } else {
      this.cursor = el.parent as Element;
    }
  }

  private onText(text: string): void {
    if (this.failed) return;
    if (this.cursor) {
      this.stanzaSize += text.length;
      if (this.stanzaSize > this.limits.maxStanzaBytes) return this.tooLarge();
      this.cursor.children.push(text);
      return;
    }
    // Between stanzas only whitespace (keepalives, RFC 6120 §4.6.1) is allowed.
    if (!/^\s*$/.test(text)) this.fail(new StreamError(this.depth === 0 ? 'not-well-formed' : 'bad-format', 'text outside a stanza'));
  }

  private fail(err: StreamError): void {
    if (this.failed) return;
    this.failed = true;
    this.handler.error(err);
  }
}
