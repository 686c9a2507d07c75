import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Jid, JidError, precisProperty, prepareDomain, prepareLocal, prepareResource, type JidPart, type PrecisProperty } from './jid.js';

type Parts = [local: string, domain: string, resource: string];

function parts(j: Jid): Parts {
  return [j.local, j.domain, j.resource];
}

function throwsPart(fn: () => unknown, part: JidPart, label: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof JidError, `${label}: expected a JidError, got ${String(err)}`);
    assert.equal(err.part, part, `${label}: wrong part (${err.message})`);
    return true;
  }, `${label}: expected a JidError`);
}

const show = (s: string): string => JSON.stringify(s);

describe('Jid', () => {
  describe('RFC 7622 §3.5 examples', () => {
    // Table 1 of RFC 7622 (examples 1-15), with the prepared parts.
    const valid: [string, Parts][] = [
      ['juliet@example.com', ['juliet', 'example.com', '']],
      ['juliet@example.com/foo', ['juliet', 'example.com', 'foo']],
      ['juliet@example.com/foo bar', ['juliet', 'example.com', 'foo bar']],
      ['juliet@example.com/foo@bar', ['juliet', 'example.com', 'foo@bar']],
      ['foo\\20bar@example.com', ['foo\\20bar', 'example.com', '']],
      ['fussball@example.com', ['fussball', 'example.com', '']],
      ['fu\u00dfball@example.com', ['fu\u00dfball', 'example.com', '']], // ß is not folded to "ss"
      ['\u03c0@example.com', ['\u03c0', 'example.com', '']],
      ['\u03a3@example.com/foo', ['\u03c3', 'example.com', 'foo']], // Σ lowercases to σ
      ['\u03c3@example.com/foo', ['\u03c3', 'example.com', 'foo']],
      ['\u03c2@example.com/foo', ['\u03c2', 'example.com', 'foo']], // final sigma stays itself
      ['king@example.com/\u265a', ['king', 'example.com', '\u265a']],
      ['example.com', ['', 'example.com', '']],
      ['example.com/foobar', ['', 'example.com', 'foobar']],
      ['a.example.com/b@example.net', ['', 'a.example.com', 'b@example.net']],
    ];
    for (const [input, expected] of valid) {
      it(`accepts ${show(input)}`, () => {
        assert.deepEqual(parts(Jid.parse(input)), expected);
      });
    }

    // Table 2 (examples 16-23) except 18, see below.
    const invalid: [string, JidPart][] = [
      ['"juliet"@example.com', 'local'],
      ['foo bar@example.com', 'local'],
      ['@example.com/', 'resource'], // both parts empty; the resource is looked at first
      ['henry\u2163@example.com', 'local'], // ROMAN NUMERAL FOUR
      ['\u265a@example.com', 'local'], // BLACK CHESS KING
      ['juliet@', 'domain'],
      ['/foobar', 'domain'],
    ];
    for (const [input, part] of invalid) {
      it(`rejects ${show(input)} (${part})`, () => {
        throwsPart(() => Jid.parse(input), part, input);
        assert.equal(Jid.tryParse(input), undefined);
      });
    }

    it('accepts example 18 (leading space in the resourcepart): OpaqueString has no rule against it', () => {
      // Deliberate deviation from the informative table; the normative rules allow it.
      assert.deepEqual(parts(Jid.parse('juliet@example.com/ foo')), ['juliet', 'example.com', ' foo']);
    });

    it('keeps ß and ss, σ and ς apart, but maps Σ to σ', () => {
      assert.ok(!Jid.parse('fu\u00dfball@example.com').equals(Jid.parse('fussball@example.com')));
      assert.ok(Jid.parse('\u03a3@example.com').equals(Jid.parse('\u03c3@example.com')));
      assert.ok(!Jid.parse('\u03c2@example.com').equals(Jid.parse('\u03c3@example.com')));
    });
  });

  describe('parse: splitting and empty parts', () => {
    const ok: [string, Parts][] = [
      ['juliet@example.com/foo/bar', ['juliet', 'example.com', 'foo/bar']], // first '/' splits
      ['server/resource@foo', ['', 'server', 'resource@foo']],
      ['server/resource@foo/bar', ['', 'server', 'resource@foo/bar']],
      ['a@b/c@d/e', ['a', 'b', 'c@d/e']],
      ['a@b', ['a', 'b', '']],
    ];
    for (const [input, expected] of ok) {
      it(`splits ${show(input)}`, () => assert.deepEqual(parts(Jid.parse(input)), expected));
    }

    const bad: [string, JidPart][] = [
      ['a@b@c', 'domain'], // '@' is not allowed in a domainpart
      ['@b', 'local'],
      ['a@', 'domain'],
      ['b/', 'resource'],
      ['', 'jid'],
      ['/r', 'domain'],
      ['@', 'local'],
      ['/', 'resource'],
      ['a@/r', 'domain'],
      ['a@b/', 'resource'],
      ['.', 'domain'],
      ['a@.', 'domain'],
    ];
    for (const [input, part] of bad) {
      it(`rejects ${show(input)} (${part})`, () => throwsPart(() => Jid.parse(input), part, input));
    }
  });

  describe('PRECIS derived property (RFC 8264 §8)', () => {
    // Long-assigned code points, one or more per rule of the algorithm.
    const table: [number, PrecisProperty, string][] = [
      [0x0041, 'PVALID', 'ASCII7'],
      [0x0020, 'FREE_PVAL', 'ASCII space'],
      [0x007f, 'DISALLOWED', 'control'],
      [0x00a0, 'FREE_PVAL', 'HasCompat'],
      [0x00ad, 'DISALLOWED', 'default ignorable'],
      [0x00b7, 'CONTEXTO', 'exception'],
      [0x00df, 'PVALID', 'exception'],
      [0x0132, 'FREE_PVAL', 'HasCompat letter'],
      [0x034f, 'DISALLOWED', 'default ignorable mark'],
      [0x0378, 'UNASSIGNED', 'unassigned'],
      [0x03c2, 'PVALID', 'exception'],
      [0x0488, 'FREE_PVAL', 'enclosing mark (OtherLetterDigits)'],
      [0x0600, 'DISALLOWED', 'format character'],
      [0x0640, 'DISALLOWED', 'exception'],
      [0x0660, 'CONTEXTO', 'exception'],
      [0x06fd, 'PVALID', 'exception'],
      [0x1100, 'DISALLOWED', 'OldHangulJamo'],
      [0x200b, 'DISALLOWED', 'default ignorable'],
      [0x200c, 'CONTEXTJ', 'JoinControl'],
      [0x2028, 'DISALLOWED', 'line separator'],
      [0x20dd, 'FREE_PVAL', 'enclosing mark'],
      [0x2163, 'FREE_PVAL', 'HasCompat number'],
      [0x2183, 'PVALID', 'letter'],
      [0x265a, 'FREE_PVAL', 'symbol'],
      [0x3007, 'PVALID', 'exception'],
      [0x302e, 'DISALLOWED', 'exception'],
      [0x30fb, 'CONTEXTO', 'exception'],
      [0x3164, 'DISALLOWED', 'Hangul filler (ignorable)'],
      [0xac00, 'PVALID', 'Hangul syllable'],
      [0xd800, 'DISALLOWED', 'surrogate'],
      [0xe000, 'DISALLOWED', 'private use'],
      [0xfdd0, 'DISALLOWED', 'noncharacter'],
      [0xfe0f, 'DISALLOWED', 'variation selector'],
      [0xff21, 'FREE_PVAL', 'fullwidth letter'],
      [0xfffe, 'DISALLOWED', 'noncharacter'],
      [0x1d400, 'FREE_PVAL', 'mathematical letter'],
      [0x20000, 'PVALID', 'CJK extension B'],
      [0x40000, 'UNASSIGNED', 'plane 4'],
      [0xe0001, 'DISALLOWED', 'language tag'],
      [0x10fffe, 'DISALLOWED', 'noncharacter'],
    ];
    for (const [cp, expected, why] of table) {
      it(`U+${cp.toString(16).toUpperCase().padStart(4, '0')} is ${expected} (${why})`, () => assert.equal(precisProperty(cp), expected));
    }
  });

  describe('localpart (UsernameCaseMapped)', () => {
    const ok: [string, string][] = [
      ['Juliet', 'juliet'],
      ['JULIET', 'juliet'],
      ['\uff2a\uff55\uff4c\uff49\uff45\uff54', 'juliet'], // fullwidth Ｊｕｌｉｅｔ: width-mapped, then lowercased
      ['\uff41\uff42\uff43\uff11\uff12\uff13', 'abc123'],
      ['\uff76\uff9e', '\u30ac'], // halfwidth ｶﾞ -> カ + U+3099 -> NFC ガ
      ['e\u0301', '\u00e9'], // NFC composition
      ['A\u030a', '\u00e5'], // lowercase, then NFC
      ['\u212b', '\u00e5'], // ANGSTROM SIGN: NFC singleton, then lowercase
      ['\u1100\u1161\u11a8', '\uac01'], // conjoining jamo compose to a syllable
      ['\u0130', 'i\u0307'], // İ: Unicode toLowerCase, no Turkish tailoring
      ['\u03a3\u0391\u03a3', '\u03c3\u03b1\u03c2'], // final-sigma rule of toLowerCase
      ['l\u00b7l', 'l\u00b7l'], // MIDDLE DOT between two 'l'
      ['\u0375\u03b1', '\u0375\u03b1'], // KERAIA before Greek
      ['\u05d0\u05f3', '\u05d0\u05f3'], // GERESH after Hebrew
      ['\u30fb\u30a2', '\u30fb\u30a2'], // KATAKANA MIDDLE DOT with Katakana
      ['\u0915\u094d\u200d\u0937', '\u0915\u094d\u200d\u0937'], // ZWJ after a virama
      ['\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645', '\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645'], // Persian ZWNJ between joining letters
      ['\u05d0\u05d1', '\u05d0\u05d1'], // RTL, Bidi Rule satisfied
      ['\u05d0\u05d11', '\u05d0\u05d11'], // RTL label may end in a European digit
      ['\u0627\u0661', '\u0627\u0661'], // Arabic-Indic digit
      ['a!#$%()*+,-.;=?[\\]^_`{|}~', 'a!#$%()*+,-.;=?[\\]^_`{|}~'], // every allowed ASCII symbol
    ];
    for (const [input, expected] of ok) {
      it(`prepares ${show(input)} to ${show(expected)}`, () => {
        assert.equal(prepareLocal(input), expected);
        assert.equal(Jid.parse(`${input}@example.com`).local, expected);
      });
    }

    const bad: [string, string][] = [
      ['foo bar', 'ASCII space'],
      ['a\u0000b', 'NUL'],
      ['a\tb', 'tab'],
      ['a\nb', 'line feed'],
      ['a\u007fb', 'DEL'],
      ['a\u0085b', 'C1 control (NEL)'],
      ['a\u00a0b', 'NO-BREAK SPACE (HasCompat)'],
      ['a\u3000b', 'IDEOGRAPHIC SPACE (width-mapped to a space)'],
      ['a\u2003b', 'EM SPACE'],
      ['a\u200bb', 'ZERO WIDTH SPACE (ignorable)'],
      ['a\u00adb', 'SOFT HYPHEN (ignorable)'],
      ['a\ufe0f', 'variation selector'],
      ['\ufb01le', 'ligature ﬁ (HasCompat)'],
      ['\u2163', 'ROMAN NUMERAL FOUR'],
      ['\u01c5', 'titlecase ǅ (lowercases to a compatibility character)'],
      ['\u{1f600}', 'emoji'],
      ['\u0378', 'unassigned code point'],
      ['\ud800', 'lone surrogate'],
      ['\u1100', 'old Hangul jamo on its own'],
      ['\u0640', 'ARABIC TATWEEL (exception: disallowed)'],
      ['"', 'quotation mark'],
      ['&', 'ampersand'],
      ["'", 'apostrophe'],
      ['/', 'slash'],
      [':', 'colon'],
      ['<', 'less-than'],
      ['>', 'greater-than'],
      ['@', 'at sign'],
      ['\uff20', 'FULLWIDTH COMMERCIAL AT (maps to @)'],
      ['a\u200db', 'ZWJ without a virama'],
      ['\u0627\u200c\u0628', 'ZWNJ after a right-joining letter'],
      ['a\u00b7l', 'MIDDLE DOT not between two l'],
      ['\u0375a', 'KERAIA before a non-Greek letter'],
      ['a\u05f3', 'GERESH after a non-Hebrew letter'],
      ['\u30fba', 'KATAKANA MIDDLE DOT without kana or Han'],
      ['\u0628\u0660\u06f0', 'Arabic-Indic and extended Arabic-Indic digits mixed'],
      ['a\u05d0', 'Bidi Rule: L then R'],
      ['\u05d0a', 'Bidi Rule: R then L'],
      ['1\u05d0', 'Bidi Rule: RTL string starting with a digit'],
      ['\u05d0-', 'Bidi Rule: RTL string ending in a separator'],
      ['', 'empty'],
    ];
    for (const [input, why] of bad) {
      it(`rejects ${show(input)}: ${why}`, () => {
        throwsPart(() => prepareLocal(input), 'local', input);
        // ('/' and '@' would change how Jid.parse splits the string.)
        if (input !== '' && !/[/@]/.test(input)) throwsPart(() => Jid.parse(`${input}@example.com`), 'local', input);
      });
    }

    it('applies the Bidi Rule through Jid.parse', () => {
      throwsPart(() => Jid.parse('a\u05d0@example.com'), 'local', 'bidi');
      assert.equal(Jid.parse('\u05d0\u05d1@example.com').local, '\u05d0\u05d1');
    });
  });

  describe('resourcepart (OpaqueString)', () => {
    const ok: [string, string][] = [
      ['Balcony', 'Balcony'], // case is kept
      ['Foo Bar', 'Foo Bar'],
      [' foo ', ' foo '],
      ['a\u00a0b', 'a b'], // non-ASCII space -> U+0020
      ['a\u2003b\u3000c', 'a b c'],
      ['e\u0301', '\u00e9'], // NFC
      ['\u212b', '\u00c5'], // NFC singleton; no case mapping
      ['\uff26\uff4f\uff4f', '\uff26\uff4f\uff4f'], // no width mapping
      ['\ufb01', '\ufb01'], // compatibility characters are allowed
      ['\u2163', '\u2163'],
      ['\u265a', '\u265a'],
      ['a@b/c"d&e<f>g:h', 'a@b/c"d&e<f>g:h'],
      ['\u05d0a1', '\u05d0a1'], // no directionality rule
      ['\u{1f600}', '\u{1f600}'],
      // Emoji sequences: accepted on purpose although FreeformClass disallows
      // U+FE0F, U+200D and tag characters (see jid.ts).
      ['\u2764\ufe0f', '\u2764\ufe0f'],
      ['\u{1f468}\u200d\u{1f469}\u200d\u{1f467}', '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}'],
      ['\u{1f3f3}\ufe0f\u200d\u{1f308}', '\u{1f3f3}\ufe0f\u200d\u{1f308}'],
      ['\u{1f469}\u{1f3fd}\u200d\u{1f4bb}', '\u{1f469}\u{1f3fd}\u200d\u{1f4bb}'],
      ['\u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}', '\u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}'],
    ];
    for (const [input, expected] of ok) {
      it(`prepares ${show(input)} to ${show(expected)}`, () => {
        assert.equal(prepareResource(input), expected);
        assert.equal(Jid.parse(`juliet@example.com/${input}`).resource, expected);
      });
    }

    const bad: [string, string][] = [
      ['', 'empty'],
      ['a\u0000b', 'NUL'],
      ['a\tb', 'tab'],
      ['a\u0085', 'C1 control'],
      ['a\u200bb', 'ZERO WIDTH SPACE'],
      ['a\u200db', 'ZWJ outside an emoji sequence'],
      ['\ufe0f', 'lone variation selector'],
      ['a\u2028b', 'LINE SEPARATOR'],
      ['\u0378', 'unassigned'],
      ['\ue000', 'private use'],
      ['\ud800', 'lone surrogate'],
      ['\u{e0067}', 'tag character outside a flag sequence'],
    ];
    for (const [input, why] of bad) {
      it(`rejects ${show(input)}: ${why}`, () => throwsPart(() => prepareResource(input), 'resource', input));
    }

    it('keeps resources that differ only in case apart', () => {
      assert.ok(!Jid.parse('juliet@example.com/Balcony').equals(Jid.parse('juliet@example.com/balcony')));
    });
  });

  describe('domainpart', () => {
    const ok: [string, string][] = [
      ['Example.COM', 'example.com'],
      ['example.com.', 'example.com'], // one trailing dot stripped
      ['example.com\u3002', 'example.com'], // ideographic full stop as trailing separator
      ['localhost', 'localhost'],
      ['a-b.c-d.example', 'a-b.c-d.example'],
      ['a_b.example', 'a_b.example'], // '_' tolerated
      ['\u4f8b\u3048.\u30c6\u30b9\u30c8', '\u4f8b\u3048.\u30c6\u30b9\u30c8'], // 例え.テスト
      ['xn--r8jz45g.xn--zckzah', '\u4f8b\u3048.\u30c6\u30b9\u30c8'],
      ['XN--R8JZ45G.XN--ZCKZAH', '\u4f8b\u3048.\u30c6\u30b9\u30c8'],
      ['\u4f8b\u3048\u3002\u30c6\u30b9\u30c8', '\u4f8b\u3048.\u30c6\u30b9\u30c8'], // ideographic full stop as separator
      ['\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com', 'example.com'], // UTS #46 width mapping
      ['B\u00dcCHER.example', 'b\u00fccher.example'],
      ['xn--bcher-kva.example', 'b\u00fccher.example'],
      ['fa\u00df.de', 'fa\u00df.de'], // nontransitional: ß kept
      ['\u05d0\u05d1.com', '\u05d0\u05d1.com'],
      ['192.168.1.1', '192.168.1.1'],
      ['0.0.0.0', '0.0.0.0'],
      ['255.255.255.255', '255.255.255.255'],
      ['[::1]', '[::1]'],
      ['[2002:4559:1FE2::4559:1FE2]', '[2002:4559:1fe2::4559:1fe2]'],
      ['[2001:db8:0:0:0:0:0:1]', '[2001:db8::1]'],
      ['[::ffff:192.0.2.1]', '[::ffff:c000:201]'],
    ];
    for (const [input, expected] of ok) {
      it(`prepares ${show(input)} to ${show(expected)}`, () => {
        assert.equal(prepareDomain(input), expected);
        assert.equal(Jid.parse(`juliet@${input}/r`).domain, expected);
      });
    }

    it('maps the Unicode and the punycode form of an IDN to the same JID', () => {
      const a = Jid.parse('user@\u4f8b\u3048.\u30c6\u30b9\u30c8');
      const b = Jid.parse('user@xn--r8jz45g.xn--zckzah.');
      assert.ok(a.equals(b));
      assert.equal(a.toString(), 'user@\u4f8b\u3048.\u30c6\u30b9\u30c8');
    });

    const bad: [string, string][] = [
      ['', 'empty'],
      ['.', 'only a dot'],
      ['example.com..', 'two trailing dots'],
      ['.example.com', 'leading dot'],
      ['a..b', 'empty label'],
      ['b@c', 'at sign'],
      ['a b.com', 'space'],
      ['a\u0000b', 'NUL'],
      ['exa%mple.com', 'percent'],
      ['exa:mple.com', 'colon'],
      ['-a.com', 'leading hyphen'],
      ['a-.com', 'trailing hyphen'],
      ['ab--cd.com', 'hyphens in positions 3-4 of a non-A-label'],
      ['xn--zz.com', 'invalid punycode'],
      [`${'x'.repeat(64)}.com`, 'label longer than 63 octets'],
      ['a\u200db.com', 'ZWJ'],
      ['\u265a.com', 'symbol (not IDNA2008)'],
      ['\u{1f4a9}.la', 'emoji (not IDNA2008)'],
      ['a\u05d0.com', 'Bidi Rule within a label'],
      ['\u05d0\u05d1.1com', 'Bidi Rule across labels (LTR label starting with a digit)'],
      ['1.2.3', 'numeric, not a dotted quad'],
      ['127.1', 'shorthand IPv4'],
      ['0x7f.0.0.1', 'hex IPv4'],
      ['01.2.3.4', 'IPv4 with a leading zero'],
      ['1.2.3.256', 'IPv4 octet out of range'],
      ['example.123', 'numeric top-level label'],
      ['[::1', 'unterminated IPv6 literal'],
      ['[1.2.3.4]', 'IPv4 in brackets'],
      ['[fe80::1%eth0]', 'IPv6 zone identifier'],
      ['[::g]', 'bad IPv6 digit'],
      ['::1', 'IPv6 without brackets'],
    ];
    for (const [input, why] of bad) {
      it(`rejects ${show(input)}: ${why}`, () => throwsPart(() => prepareDomain(input), 'domain', input));
    }
  });

  describe('length limits (1023 octets of UTF-8)', () => {
    const domain1023 = Array.from({ length: 16 }, () => 'd'.repeat(63)).join('.'); // 16*63 + 15 dots
    const domain1024 = [...Array.from({ length: 16 }, () => 'd'.repeat(62)), 'd'.repeat(16)].join('.'); // 16*62 + 16 + 16 dots

    it('checks the boundary on each part', () => {
      assert.equal(domain1023.length, 1023);
      assert.equal(domain1024.length, 1024);
      assert.equal(prepareLocal('a'.repeat(1023)), 'a'.repeat(1023));
      throwsPart(() => prepareLocal('a'.repeat(1024)), 'local', 'local 1024');
      assert.equal(prepareResource('r'.repeat(1023)), 'r'.repeat(1023));
      throwsPart(() => prepareResource('r'.repeat(1024)), 'resource', 'resource 1024');
      assert.equal(prepareDomain(domain1023), domain1023);
      throwsPart(() => prepareDomain(domain1024), 'domain', 'domain 1024');
      assert.equal(prepareDomain(`${domain1023}.`), domain1023); // the stripped dot does not count
    });

    it('counts octets, not characters', () => {
      const k341 = '\u4f8b'.repeat(341); // 3 octets each: 1023
      assert.equal(prepareLocal(k341), k341);
      throwsPart(() => prepareLocal(`${k341}\u4f8b`), 'local', 'local 1026 octets');
      throwsPart(() => prepareLocal(`${k341}a`), 'local', 'local 1024 octets');
      assert.equal(prepareResource(k341), k341);
      throwsPart(() => prepareResource(`${k341}a`), 'resource', 'resource 1024 octets');
      throwsPart(() => prepareLocal('\u03c0'.repeat(600)), 'local', '600 × π = 1200 octets');
      assert.equal(prepareResource('\u{1f600}'.repeat(255)), '\u{1f600}'.repeat(255)); // 1020 octets
      throwsPart(() => prepareResource('\u{1f600}'.repeat(256)), 'resource', '256 × 4 octets');
    });

    it('measures after preparation', () => {
      // 'e' + U+0301 is 3 octets, é is 2: 511 of them are 1533 octets raw, 1022 prepared.
      const decomposed = 'e\u0301'.repeat(511);
      assert.equal(prepareResource(decomposed), '\u00e9'.repeat(511));
      assert.equal(prepareLocal(decomposed), '\u00e9'.repeat(511));
    });

    it('accepts a full JID with every part at the limit', () => {
      const j = Jid.parse(`${'a'.repeat(1023)}@${domain1023}/${'r'.repeat(1023)}`);
      assert.equal(j.local.length, 1023);
      assert.equal(j.domain, domain1023);
      assert.equal(j.resource.length, 1023);
    });

    it('rejects absurdly long input early', () => {
      throwsPart(() => Jid.parse('a'.repeat(100_000)), 'jid', 'huge');
      throwsPart(() => prepareLocal('a'.repeat(100_000)), 'local', 'huge local');
    });
  });

  describe('API', () => {
    it('normalizes case in local and domain but not resource', () => {
      const j = Jid.parse('Juliet@Example.COM/Balcony');
      assert.equal(j.toString(), 'juliet@example.com/Balcony');
      assert.equal(j.bareString, 'juliet@example.com');
      assert.deepEqual(parts(j), ['juliet', 'example.com', 'Balcony']);
    });

    it('exposes bare, isBare, isDomain and bareString', () => {
      const full = Jid.parse('juliet@example.com/balcony');
      const bare = Jid.parse('juliet@example.com');
      const domain = Jid.parse('example.com');
      const domainRes = Jid.parse('example.com/r');

      assert.equal(full.isBare, false);
      assert.equal(full.isDomain, false);
      assert.equal(bare.isBare, true);
      assert.equal(bare.isDomain, false);
      assert.equal(domain.isBare, true);
      assert.equal(domain.isDomain, true);
      assert.equal(domainRes.isBare, false);
      assert.equal(domainRes.isDomain, false);

      assert.ok(full.bare.equals(bare));
      assert.equal(full.bare, full.bare, 'bare is cached');
      assert.equal(bare.bare, bare, 'a bare JID is its own bare JID');
      assert.equal(full.bare.toString(), 'juliet@example.com');
      assert.equal(domainRes.bare.toString(), 'example.com');
      assert.equal(domainRes.bareString, 'example.com');
      assert.equal(domain.toString(), 'example.com');
      assert.equal(domainRes.toString(), 'example.com/r');
      assert.equal(`${full}`, 'juliet@example.com/balcony');
      assert.equal(JSON.stringify({ to: full }), '{"to":"juliet@example.com/balcony"}');
    });

    it('compares by prepared parts', () => {
      const a = Jid.parse('JULIET@example.com/x');
      const b = Jid.of('juliet', 'EXAMPLE.com.', 'x');
      assert.ok(a.equals(b));
      assert.ok(b.equals(a));
      assert.ok(!a.equals(a.bare));
      assert.ok(!a.equals(undefined));
      assert.ok(!a.equals(Jid.parse('juliet@example.com/y')));
      assert.ok(!Jid.parse('example.com').equals(Jid.parse('x@example.com')));
    });

    it('builds JIDs with of() and withResource(), preparing the parts', () => {
      assert.equal(Jid.of('Juliet', 'Example.com').toString(), 'juliet@example.com');
      assert.equal(Jid.of('', 'example.com').toString(), 'example.com');
      assert.equal(Jid.of('', 'example.com', 'r').toString(), 'example.com/r');
      assert.equal(Jid.of('Juliet', 'Example.com', 'Balcony').toString(), 'juliet@example.com/Balcony');
      assert.equal(Jid.of('a', 'b', '').toString(), 'a@b');
      throwsPart(() => Jid.of('a@b', 'example.com'), 'local', 'of local');
      throwsPart(() => Jid.of('a', ''), 'domain', 'of domain');
      throwsPart(() => Jid.of('a', 'b@c'), 'domain', 'of domain @');
      throwsPart(() => Jid.of('a', 'example.com', 'x\u0000'), 'resource', 'of resource');

      const bare = Jid.parse('juliet@example.com');
      const full = bare.withResource('a\u00a0b');
      assert.equal(full.toString(), 'juliet@example.com/a b');
      assert.equal(full.withResource('a b'), full, 'same resource gives the same object');
      assert.equal(bare.toString(), 'juliet@example.com', 'original untouched');
      throwsPart(() => bare.withResource(''), 'resource', 'withResource empty');
    });

    it('tryParse returns undefined for absent or invalid input', () => {
      assert.equal(Jid.tryParse(undefined), undefined);
      assert.equal(Jid.tryParse(null), undefined);
      assert.equal(Jid.tryParse(''), undefined);
      assert.equal(Jid.tryParse('a@b@c'), undefined);
      assert.equal(Jid.tryParse('juliet@example.com')?.local, 'juliet');
    });

    it('caches parses of the same string', () => {
      const s = 'cache-test@Example.com/Res';
      const a = Jid.parse(s);
      assert.equal(Jid.parse(s), a);
      assert.equal(Jid.parse('cache-test@example.com/Res'), a, 'the canonical form is cached too');
    });

    it('is immutable', () => {
      const j = Jid.parse('juliet@example.com/r');
      assert.ok(Object.isFrozen(j));
      assert.throws(() => { (j as { local: string }).local = 'romeo'; }, TypeError);
      assert.equal(j.local, 'juliet');
      const bare = j.bare; // lazily cached values still work on a frozen object
      assert.equal(j.bare, bare);
      assert.equal(j.toString(), 'juliet@example.com/r');
    });

    it('throws JidError, an Error with a part', () => {
      try {
        Jid.parse('a@b@c');
        assert.fail('no error');
      } catch (err) {
        assert.ok(err instanceof Error);
        assert.ok(err instanceof JidError);
        assert.equal(err.name, 'JidError');
        assert.equal(err.part, 'domain');
      }
    });
  });

  describe('properties', () => {
    const interesting = [
      'a', 'Z', '0', '9', '-', '.', '_', '!', ' ', '@', '/', '"', '\\', '\u0000', '\t', '\u00a0', '\u3000', '\u2003',
      '\u00df', '\u03a3', '\u03c3', '\u03c2', '\u0130', '\u0131', 'e', 'A', '\u0301', '\u030a', '\u0345', '\u00c5', '\u212b',
      '\uff41', '\uff21', '\uff76', '\uff9e', '\uffa1', '\uffe3', '\ufb01', '\u2163', '\u01c4', '\u01c5', '\u265a',
      '\u05d0', '\u05d1', '\u05f3', '\u0627', '\u0628', '\u0661', '\u06f1', '\u200c', '\u200d', '\u094d', '\u0915', 'l', '\u00b7',
      '\u0375', '\u03b1', '\u30fb', '\u30a2', '\u1100', '\u1161', '\u11a8', '\uac00', '\ufe0f', '\u2764', '\u{1f468}',
      '\u{1f3fd}', '\u{10400}', '\u{1d400}', '\u0378', '\ud800',
    ];
    const tricky = fc.array(fc.constantFrom(...interesting), { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
    const anyString = fc.oneof(tricky, fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }));

    const idempotent = (prepare: (s: string) => string) => (s: string) => {
      let once: string;
      try {
        once = prepare(s);
      } catch (err) {
        if (err instanceof JidError) return; // only strings that prepare successfully
        throw err;
      }
      assert.equal(prepare(once), once);
    };

    it('prepareLocal is idempotent', () => {
      fc.assert(fc.property(anyString, idempotent(prepareLocal)), { numRuns: 2000 });
    });

    it('prepareResource is idempotent', () => {
      fc.assert(fc.property(anyString, idempotent(prepareResource)), { numRuns: 2000 });
    });

    it('prepareDomain is idempotent', () => {
      const label = fc.array(fc.constantFrom('a', 'b', 'Z', '0', '-', '\u00fc', '\u00dc', '\u4f8b', '\u05d0', '\u0627', '\uff41', '\u00df'), { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
      const domain = fc.array(label, { minLength: 1, maxLength: 3 }).map((a) => a.join('.'));
      fc.assert(fc.property(fc.oneof(domain, anyString), idempotent(prepareDomain)), { numRuns: 1000 });
    });

    it('parse(jid.toString()) gives an equal JID', () => {
      const jidString = fc.tuple(fc.option(tricky, { nil: undefined }), fc.constantFrom('example.com', 'EXAMPLE.org.', '\u4f8b\u3048.\u30c6\u30b9\u30c8', '[::1]'), fc.option(anyString, { nil: undefined }))
        .map(([l, d, r]) => `${l !== undefined ? `${l}@` : ''}${d}${r !== undefined ? `/${r}` : ''}`);
      fc.assert(fc.property(jidString, (s) => {
        const j = Jid.tryParse(s);
        if (!j) return;
        const again = Jid.parse(j.toString());
        assert.ok(again.equals(j), `${s} -> ${j.toString()} -> ${again.toString()}`);
        assert.equal(again.toString(), j.toString());
      }), { numRuns: 2000 });
    });
  });
});
