import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { vector } from './vectors/index.js';
import { type CpimDocument, type CpimHeader, type CpimParam, CpimError, contentType, decodeValue, encodeValue, formatAddress, headersIn, parseAddress, parseCpim, serializeCpim, unknownRequired } from './codec.js';

const vectors: Array<[string, number, string]> = [
  ['TV-CPIM-1.cpim', 267, '1271335f62248398afb47a4ff55436e7d8811adeef844a05d11239f1ecadec7e'],
  ['TV-CPIM-2.cpim', 542, '1d8b359ea4f8065692cd134f73ef5bd3272037e262cf6fc35a13ffa56d207123'],
  ['TV-CPIM-4.cpim', 284, '1c8a997bb8622736c76a8fe0e8b10c32e2b236c3ae57a59e4586891dbcf5c57f'],
];

describe('CPIM codec (RFC 3862)', () => {
  describe('shared vectors', () => {
    for (const [file, size, sha] of vectors) {
      it(`${file}: exact bytes as the README says, and a byte-for-byte round trip`, () => {
        const bytes = vector(file);
        assert.equal(bytes.length, size);
        assert.equal(createHash('sha256').update(bytes).digest('hex'), sha);
        const doc = parseCpim(bytes);
        assert.ok(serializeCpim(doc).equals(bytes));
      });
    }

    it('TV-CPIM-1: subjects with and without lang, content headers and body', () => {
      const doc = parseCpim(vector('TV-CPIM-1.cpim'));
      assert.deepEqual(doc.headers.map((h) => h.name), ['From', 'To', 'DateTime', 'Subject', 'Subject']);
      assert.deepEqual(doc.headers[4], { name: 'Subject', params: [{ name: 'lang', value: 'cz' }], value: 'Ahoj!' });
      assert.deepEqual(parseAddress(doc.headers[0]!.value), { name: 'Juliet Capulet', uri: 'im:juliet@example.com' });
      assert.deepEqual(contentType(doc), { type: 'text/plain', charset: 'utf-8' });
      assert.equal(doc.content.toString(), 'Wherefore art thou, Romeo?');
    });

    it('TV-CPIM-2: NS prefix resolves, Require names an unknown header, text/xml content', () => {
      const doc = parseCpim(vector('TV-CPIM-2.cpim'));
      assert.deepEqual(unknownRequired(doc, new Set()), ['MyFeatures.VitalMessageOption']);
      assert.deepEqual(unknownRequired(doc, new Set(['mid:MessageFeatures@id.foo.com VitalMessageOption'])), []);
      assert.equal(headersIn(doc, 'mid:MessageFeatures@id.foo.com', 'WackyMessageOption')[0]!.value, 'Use-silly-font');
      assert.equal(contentType(doc).type, 'text/xml');
      assert.equal(doc.content.toString(), '<body>\r\nHere is the text of my message.\r\n</body>');
    });

    it('TV-CPIM-4: imdn namespace headers and a Content-length that matches', () => {
      const doc = parseCpim(vector('TV-CPIM-4.cpim'));
      assert.equal(headersIn(doc, 'urn:ietf:params:imdn', 'Disposition-Notification')[0]!.value, 'positive-delivery, display');
      assert.equal(headersIn(doc, 'urn:ietf:params:imdn', 'Message-ID')[0]!.value, '34jk324j');
      assert.equal(doc.content.toString(), 'Hello World\n');
    });
  });

  describe('malformed input is rejected with what and where', () => {
    const base = 'From: <im:a@example.com>\r\nTo: <im:b@example.com>\r\n\r\nContent-type: text/plain\r\n\r\nhi';
    const cases: Array<[string, string | Buffer, RegExp, number, number]> = [
      ['bare LF', 'From: <im:a@example.com>\nTo: <im:b@example.com>\r\n\r\n\r\nx', /bare LF/, 1, 25],
      ['bare CR', 'From: <im:a@example.com>\rX: y\r\n\r\n\r\n', /bare CR/, 1, 25],
      ['folded header', 'From: <im:a@example.com>\r\nSubject: a\r\n  b\r\n\r\n\r\n', /folded header/, 3, 1],
      ['tab continuation is a control byte', 'From: <im:a@example.com>\r\n\tb\r\n\r\n\r\n', /control byte 0x09/, 2, 1],
      ['missing space after colon', 'From:<im:a@example.com>\r\n\r\n\r\n', /missing space after 'From:'/, 1, 6],
      ['missing space after params', 'Subject:;lang=en hi\r\nX:;lang=en\r\n\r\n\r\n', /missing space after 'X:'/, 2, 11],
      ['duplicate From', 'From: <im:a@example.com>\r\nTo: <im:b@example.com>\r\nFrom: <im:c@example.com>\r\n\r\n\r\n', /duplicate From/, 3, 1],
      ['duplicate DateTime', 'DateTime: 2004-10-01T12:00:00Z\r\nDateTime: 2004-10-01T12:00:00Z\r\n\r\n\r\n', /duplicate DateTime/, 2, 1],
      ['control byte in a value', 'Subject: a\x01b\r\n\r\n\r\n', /control byte 0x01/, 1, 11],
      ['DEL in a content header', 'From: <im:a@example.com>\r\n\r\nContent-type: te\x7fxt\r\n\r\n', /control byte 0x7f in content headers/, 3, 17],
      ['no separator after message headers', 'From: <im:a@example.com>\r\nTo: <im:b@example.com>\r\n', /missing blank line after message headers/, 3, 1],
      ['no separator after content headers', 'From: <im:a@example.com>\r\n\r\nContent-type: text/plain\r\n', /missing blank line after content headers/, 4, 1],
      ['unterminated last line', 'From: <im:a@example.com>', /not terminated by CRLF/, 1, 25],
      ['bad \\u escape', 'Subject: caf\\u00e\r\n\r\n\r\n', /bad escape '\\u00e\r?'/, 1, 13],
      ['lone surrogate', 'Subject: \\udc00\r\n\r\n\r\n', /lone low surrogate/, 1, 10],
      ['unknown escape', 'Subject: a\\qb\r\n\r\n\r\n', /bad escape '\\q'/, 1, 11],
      ['trailing backslash', 'Subject: a\\\r\n\r\n\r\n', /at end of value/, 1, 11],
      ['undeclared prefix', 'From: <im:a@example.com>\r\nimdn.Message-ID: 1\r\n\r\n\r\n', /prefix 'imdn' is not declared/, 2, 1],
      ['prefix declared after use', 'imdn.Message-ID: 1\r\nNS: imdn <urn:ietf:params:imdn>\r\n\r\n\r\n', /prefix 'imdn' is not declared/, 1, 1],
      ['invalid header name', 'Fr om: <im:a@example.com>\r\n\r\n\r\n', /invalid header name 'Fr om'/, 1, 1],
      ['two dots in a name', 'a.b.c: x\r\n\r\n\r\n', /invalid header name/, 1, 1],
      ['no colon', 'Subject hi\r\n\r\n\r\n', /without ':'/, 1, 11],
      ['bad From', 'From: juliet@example.com\r\n\r\n\r\n', /From is not/, 1, 7],
      ['bad DateTime', 'DateTime: 2004-13-01T12:00:00Z\r\n\r\n\r\n', /not an RFC 3339/, 1, 11],
      ['bad NS', 'NS: imdn urn:x\r\n\r\n\r\n', /NS is not/, 1, 5],
      ['bad Require', 'Require: a..b\r\n\r\n\r\n', /invalid header name 'a..b'/, 1, 10],
      ['bad lang', 'Subject:;lang=e_n hi\r\n\r\n\r\n', /invalid language tag/, 1, 15],
      ['invalid UTF-8', Buffer.from('Subject: \xff\r\n\r\n\r\n', 'latin1'), /invalid UTF-8/, 1, 1],
      ['empty document', '\r\n\r\n', /no message headers/, 1, 1],
      ['content header without space', 'From: <im:a@example.com>\r\n\r\nContent-type:text/plain\r\n\r\n', /missing space after 'Content-type:'/, 3, 14],
      ['Content-length mismatch', 'From: <im:a@example.com>\r\n\r\nContent-length: 3\r\n\r\nhello', /Content-length 3 but the content has 5 bytes/, 3, 17],
    ];
    it('the base document parses', () => assert.equal(parseCpim(base).content.toString(), 'hi'));
    for (const [label, input, what, line, column] of cases) {
      it(label, () => {
        assert.throws(() => parseCpim(input), (e: unknown) => {
          assert.ok(e instanceof CpimError, String(e));
          assert.match(e.what, what);
          assert.deepEqual([e.line, e.column], [line, column], e.message);
          assert.match(e.message, new RegExp(`^line ${line}, column ${column}: `));
          return true;
        });
      });
    }
    it('content may hold bare LFs and anything else: it is opaque bytes', () => {
      const doc = parseCpim(Buffer.concat([Buffer.from('From: <im:a@example.com>\r\n\r\nContent-type: application/octet-stream\r\n\r\n'), Buffer.from([0, 10, 13, 255])]));
      assert.deepEqual([...doc.content], [0, 10, 13, 255]);
    });
    it('serialize refuses a document it could not parse back', () => {
      assert.throws(() => serializeCpim({ headers: [{ name: 'Subject', params: [], value: 'a\r\nb' }], contentHeaders: [], content: Buffer.alloc(0) }), CpimError);
    });
  });

  describe('escapes and addresses', () => {
    it('decodes every §3.2 escape, including surrogate pairs', () => {
      assert.equal(decodeValue('a\\u00e9\\b\\t\\n\\r\\"\\\'\\\\z\\ud83d\\ude00'), 'a\u00e9\b\t\n\r"\'\\z\u{1f600}');
    });
    it('encode then decode is the identity', () => {
      fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => decodeValue(encodeValue(s)) === s));
    });
    it('formats and parses display names, quoting when needed', () => {
      assert.equal(formatAddress('im:a@b', 'Juliet Capulet'), 'Juliet Capulet <im:a@b>');
      assert.equal(formatAddress('im:a@b', 'Dr. "J" <x>'), '"Dr. \\"J\\" <x>" <im:a@b>');
      assert.deepEqual(parseAddress('"Dr. \\"J\\" <x>" <im:a@b>'), { name: 'Dr. "J" <x>', uri: 'im:a@b' });
      assert.equal(formatAddress('im:a@b'), '<im:a@b>');
    });
  });

  describe('property: random header sets round-trip', () => {
    const nameChar = fc.constantFrom(...'ABCXYZabcxyz019-_!#$%&\'*+^`|~'.split(''));
    const name = fc.string({ unit: nameChar, minLength: 1, maxLength: 12 }).filter((n) => !['From', 'To', 'cc', 'DateTime', 'NS', 'Require', 'Subject'].includes(n));
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const header = fc.oneof(
      fc.record({ name, params: fc.constant<CpimParam[]>([]), value: text.map((t) => encodeValue(t)) }),
      fc.record({ name: fc.constant('Subject'), params: fc.option(fc.constantFrom('en', 'cz', 'fr-CA', 'i-klingon'), { nil: undefined }).map((l) => (l ? [{ name: 'lang', value: l }] : [])), value: text.map((t) => encodeValue(t)) }),
      fc.record({ name: fc.constant('To'), params: fc.constant<CpimParam[]>([]), value: fc.tuple(fc.option(text, { nil: undefined }), fc.webSegment()).map(([n, u]) => formatAddress(`im:${u || 'x'}@example.com`, n?.trim() || undefined)) }),
      fc.record({ name, params: fc.array(fc.record({ name, value: fc.oneof(text.map((t) => `"${encodeValue(t, true)}"`), fc.integer({ min: 0 }).map(String)) }), { maxLength: 3 }), value: text.map((t) => encodeValue(t)) }),
    );
    const ns = fc.record({ prefix: name, uri: fc.webUrl() });
    const doc = fc.record({
      from: fc.option(fc.constant<CpimHeader>({ name: 'From', params: [], value: '<im:juliet@example.com>' }), { nil: undefined }),
      ns: fc.array(ns, { maxLength: 3 }),
      headers: fc.array(header, { maxLength: 12 }),
      prefixed: fc.array(fc.tuple(name, text), { maxLength: 4 }),
      content: fc.uint8Array({ maxLength: 64 }),
      contentType: fc.constantFrom('text/plain; charset=utf-8', 'text/xml', 'application/octet-stream'),
    }).map((d): CpimDocument => {
      const headers = [...(d.from ? [d.from] : []), ...d.ns.map((n) => ({ name: 'NS', params: [], value: `${n.prefix} <${n.uri}>` })), ...d.headers];
      if (d.ns.length) headers.push(...d.prefixed.map(([n, t]) => ({ prefix: d.ns[0]!.prefix, name: n, params: [], value: encodeValue(t) })));
      if (headers.length === 0) headers.push({ name: 'To', params: [], value: '<im:romeo@example.net>' });
      const plain = headers.map((h): CpimHeader => ({ ...h, params: h.params.map((p) => ({ ...p })) }));
      return { headers: plain, contentHeaders: [{ name: 'Content-type', value: d.contentType }], content: Buffer.from(d.content) };
    });
    it('serialize → parse → serialize gives identical bytes, and parse gives the same document', () => {
      fc.assert(fc.property(doc, (d) => {
        const bytes = serializeCpim(d);
        const back = parseCpim(bytes);
        assert.deepEqual(back, d);
        assert.ok(serializeCpim(back).equals(bytes));
      }), { numRuns: 300 });
    });
    it('random single-byte damage is either accepted and round-trips, or rejected with a CpimError', () => {
      const good = vector('TV-CPIM-2.cpim');
      fc.assert(fc.property(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), (i, b) => {
        const bad = Buffer.from(good);
        bad[i] = b;
        try {
          const d = parseCpim(bad);
          assert.ok(serializeCpim(d).equals(bad));
        } catch (e) {
          assert.ok(e instanceof CpimError, String(e));
        }
      }), { numRuns: 500 });
    });
  });
});
