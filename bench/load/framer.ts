/**
 * A cheap splitter of an inbound XMPP stream into top-level stanzas, for the load generator's hot
 * path: no DOM, no namespaces, no entity decoding. It scans for `<`, finds the tag's `>` (skipping
 * quoted attribute values), and keeps a depth counter; a depth-1 element is handed over as its raw
 * text. Sound for trusted servers that escape `<` in text and send no CDATA or comments holding `<`
 * (true of Tern, Prosody and ejabberd); not a validating parser.
 */
export interface FrameSink {
  streamOpen(header: string): void;
  stanza(raw: string): void;
  streamClose(): void;
}

const LT = 60, GT = 62, SLASH = 47, QUOT = 34, APOS = 39, QMARK = 63, BANG = 33;

export class Framer {
  private buf = '';
  private scan = 0; // where to look for the next '<' in buf
  private depth = 0;
  private start = -1; // start of the open depth-1 element in buf, or -1

  constructor(private readonly sink: FrameSink) {}

  /** After SASL success the server opens a new stream: forget the old one. */
  restart(): void {
    this.buf = '';
    this.scan = 0;
    this.depth = 0;
    this.start = -1;
  }

  push(chunk: string): void {
    const buf = this.buf.length > 0 ? this.buf + chunk : chunk;
    let pos = this.scan;
    for (;;) {
      const lt = buf.indexOf('<', pos);
      if (lt < 0) { pos = buf.length; break; }
      const gt = tagEnd(buf, lt + 1);
      if (gt < 0) { pos = lt; break; }
      const c = buf.charCodeAt(lt + 1);
      pos = gt + 1;
      if (c === QMARK || c === BANG) continue;
      if (c === SLASH) {
        this.depth--;
        if (this.depth === 1) {
          const s = buf.slice(this.start, pos);
          this.start = -1;
          this.sink.stanza(s);
        } else if (this.depth <= 0) {
          this.depth = 0;
          this.sink.streamClose();
        }
        continue;
      }
      const empty = buf.charCodeAt(gt - 1) === SLASH;
      if (this.depth === 0) {
        this.depth = 1;
        this.sink.streamOpen(buf.slice(lt, pos));
      } else if (this.depth === 1) {
        if (empty) this.sink.stanza(buf.slice(lt, pos));
        else { this.start = lt; this.depth = 2; }
      } else if (!empty) this.depth++;
    }
    // Keep only what a later chunk still needs: the open stanza, or the unfinished tag.
    const keep = this.start >= 0 ? this.start : pos;
    this.buf = keep >= buf.length ? '' : buf.slice(keep);
    this.scan = pos - keep;
    if (this.start >= 0) this.start = 0;
  }
}

function tagEnd(buf: string, from: number): number {
  let quote = 0;
  for (let i = from; i < buf.length; i++) {
    const c = buf.charCodeAt(i);
    if (quote !== 0) { if (c === quote) quote = 0; } else if (c === GT) return i;
    else if (c === QUOT || c === APOS) quote = c;
    else if (c === LT) return -1; // malformed; wait for more (never happens with sane servers)
  }
  return -1;
}

/** The top-level element's name (`message`, `iq`, `stream:features`…). */
export function nameOf(raw: string): string {
  let i = 1;
  for (; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 32 || c === GT || c === SLASH || c === 10 || c === 9 || c === 13) break;
  }
  return raw.slice(1, i);
}

/** An attribute of the top-level element only (either quote style); undefined when absent. */
export function attrOf(raw: string, name: string): string | undefined {
  const end = raw.indexOf('>');
  for (let at = raw.indexOf(name, 1); at >= 0 && at < end; at = raw.indexOf(name, at + 1)) {
    const before = raw.charCodeAt(at - 1);
    if (before !== 32 && before !== 10 && before !== 9 && before !== 13) continue;
    let i = at + name.length;
    while (raw.charCodeAt(i) === 32) i++;
    if (raw.charCodeAt(i) !== 61) continue; // '='
    i++;
    while (raw.charCodeAt(i) === 32) i++;
    const q = raw[i];
    if (q !== '"' && q !== "'") continue;
    const close = raw.indexOf(q, i + 1);
    return raw.slice(i + 1, close);
  }
  return undefined;
}

/** Text of the first `<tag …>text</tag>` child (no entity decoding). */
export function childText(raw: string, tag: string): string | undefined {
  const open = raw.indexOf(`<${tag}`);
  if (open < 0) return undefined;
  const gt = raw.indexOf('>', open);
  if (raw.charCodeAt(gt - 1) === SLASH) return '';
  const close = raw.indexOf(`</${tag}>`, gt);
  return close < 0 ? undefined : raw.slice(gt + 1, close);
}

export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
