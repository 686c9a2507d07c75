import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import type { StreamError } from '../errors.js';
import { type XmlLimits, XmlStreamParser } from './xml-parser.js';

const LIMITS: XmlLimits = { maxStanzaBytes: 10_000, maxDepth: 8, maxAttributes: 10, maxHeaderBytes: 2_000 };
const HEADER = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`;

function parse(chunks: Array<string | Buffer>, limits = LIMITS) {
  const out = { header: undefined as Record<string, string> | undefined, stanzas: [] as Element[], errors: [] as StreamError[], ended: false };
  const p = new XmlStreamParser(limits, {
    streamStart: (_n, attrs) => { out.header = attrs; },
    stanza: (el) => out.stanzas.push(el),
    streamEnd: () => { out.ended = true; },
    error: (e) => out.errors.push(e),
  });
  for (const c of chunks) p.write(typeof c === 'string' ? Buffer.from(c) : c);
  return out;
}

describe('XmlStreamParser', () => {
  it('emits the header, each stanza and the end', () => {
    const r = parse([HEADER, `<message to='a@b'><body>hi &amp; bye</body></message> <presence/>`, '</stream:stream>']);
    assert.equal(r.header?.to, 'localhost');
    assert.equal(r.stanzas.length, 2);
    assert.equal(r.stanzas[0]!.getChildText('body'), 'hi & bye');
    assert.equal(r.stanzas[0]!.parent, null);
    assert.ok(r.ended);
    assert.deepEqual(r.errors, []);
  });

  it('keeps a multi-byte character split across reads', () => {
    const bytes = Buffer.from(`${HEADER}<message><body>héllo 😀</body></message>`);
    const cut = bytes.indexOf(Buffer.from('😀')) + 2;
    const r = parse([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.equal(r.stanzas[0]!.getChildText('body'), 'héllo 😀');
  });

  it('parses a stanza delivered one byte at a time', () => {
    const data = Buffer.from(`${HEADER}<iq type='get' id='1'><query xmlns='x'><![CDATA[a<b]]></query></iq>`);
    const r = parse([...data].map((b) => Buffer.from([b])));
    assert.deepEqual(r.errors, []);
    assert.equal(r.stanzas[0]!.getChildText('query'), 'a<b');
  });

  it('rejects invalid UTF-8 as not-well-formed', () => {
    const r = parse([HEADER, Buffer.from([0x3c, 0x61, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x61, 0x3e])]);
    assert.equal(r.errors[0]?.condition, 'not-well-formed');
  });

  for (const [what, data] of [
    ['a DOCTYPE', `<!DOCTYPE foo [<!ENTITY x "y">]><message/>`],
    ['a comment', `<message><!-- hi --></message>`],
    ['a processing instruction', `<?evil data?><message/>`],
    ['an undefined entity', `<message><body>&xxe;</body></message>`],
  ] as const) {
    it(`rejects ${what} with restricted-xml`, () => {
      const r = parse([HEADER, data]);
      assert.equal(r.errors[0]?.condition, 'restricted-xml');
      assert.equal(r.stanzas.length, 0);
    });
  }

  it('rejects a comment split across reads', () => {
    const r = parse([HEADER, '<message><', '!-- x --></message>']);
    assert.equal(r.errors[0]?.condition, 'restricted-xml');
  });

  it('rejects a DTD before the stream header', () => {
    const r = parse([`<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY a "b">]>`, HEADER]);
    assert.equal(r.errors[0]?.condition, 'restricted-xml');
  });

  it('rejects mismatched tags as not-well-formed', () => {
    const r = parse([HEADER, '<message><body></message>']);
    assert.equal(r.errors[0]?.condition, 'not-well-formed');
  });

  it('rejects text at stream level', () => {
    const r = parse([HEADER, 'junk<presence/>']);
    assert.equal(r.errors[0]?.condition, 'bad-format');
  });

  it('accepts whitespace keepalives between stanzas', () => {
    const r = parse([HEADER, ' \n ', '<presence/>', '\t ']);
    assert.deepEqual(r.errors, []);
    assert.equal(r.stanzas.length, 1);
  });

  it('enforces the stanza size limit, in one read or many', () => {
    const big = `<message><body>${'x'.repeat(20_000)}</body></message>`;
    assert.equal(parse([HEADER, big]).errors[0]?.condition, 'policy-violation');
    const slices: string[] = [HEADER, '<message><body>'];
    for (let i = 0; i < 100; i++) slices.push('y'.repeat(500));
    assert.equal(parse(slices).errors[0]?.condition, 'policy-violation');
  });

  it('counts each stanza on its own: many small stanzas in one read are fine', () => {
    const many = Array.from({ length: 200 }, (_, i) => `<message id='${i}'><body>${'z'.repeat(100)}</body></message>`).join('');
    const r = parse([HEADER, many]);
    assert.deepEqual(r.errors, []);
    assert.equal(r.stanzas.length, 200);
  });

  it('enforces depth and attribute limits', () => {
    const deep = `${'<a>'.repeat(12)}${'</a>'.repeat(12)}`;
    assert.equal(parse([HEADER, `<message>${deep}</message>`]).errors[0]?.condition, 'policy-violation');
    const attrs = Array.from({ length: 11 }, (_, i) => `a${i}='v'`).join(' ');
    assert.equal(parse([HEADER, `<message ${attrs}/>`]).errors[0]?.condition, 'policy-violation');
  });

  it('enforces the header size limit', () => {
    const r = parse([`<stream:stream xmlns='jabber:client' x='${'a'.repeat(10_000)}'`]);
    assert.equal(r.errors[0]?.condition, 'policy-violation');
  });

  it('starts over after reset', () => {
    const out: Element[] = [];
    const p = new XmlStreamParser(LIMITS, { streamStart: () => {}, stanza: (el) => out.push(el), streamEnd: () => {}, error: (e) => assert.fail(e.message) });
    p.write(Buffer.from(`${HEADER}<presence/>`));
    p.reset();
    p.write(Buffer.from(`${HEADER}<presence type='unavailable'/>`));
    assert.equal(out.length, 2);
  });
});
