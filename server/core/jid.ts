/**
 * JIDs: the XMPP address format of RFC 7622, with the PRECIS preparation it
 * relies on (RFC 8264 framework, RFC 8265 profiles), written against the
 * Unicode data built into the JavaScript engine (\p{...} property escapes,
 * String.prototype.normalize, toLowerCase) and Node's UTS #46 implementation
 * (url.domainToASCII / url.domainToUnicode).
 *
 *   localpart    UsernameCaseMapped (RFC 8265 §3.3): width mapping, toLowerCase,
 *                NFC, IdentifierClass, Bidi Rule; plus RFC 7622 §3.3.1's ban on
 *                " & ' / : < > @
 *   domainpart   IP literal, or an IDNA domain name: UTS #46 to A-labels, then
 *                stored as lowercase U-labels (RFC 7622 §3.2)
 *   resourcepart OpaqueString (RFC 8265 §4.2): non-ASCII spaces to U+0020, NFC,
 *                FreeformClass
 *
 * Every part is limited to 1023 octets of UTF-8 after preparation.
 *
 * Known, deliberate departures from the letter of the RFCs (all documented
 * where they are implemented):
 *  - resourcepart: emoji sequences (variation selectors U+FE0E/U+FE0F after an
 *    emoji, U+200D between pictographs, tag sequences after U+1F3F4) are
 *    accepted although PRECIS FreeformClass disallows them; resources double
 *    as MUC nicknames and clients do send these.
 *  - RFC 7622 §3.5 lists "juliet@example.com/ foo" (leading space in the
 *    resourcepart) as invalid, but no rule of OpaqueString forbids it; the
 *    normative rules win and it is accepted.
 *  - domainpart: '_' is accepted in ASCII labels (not LDH, but seen in
 *    practice for component names).
 *  - Context rules and the Bidi Rule need Unicode properties JavaScript does
 *    not expose (Canonical_Combining_Class, Bidi_Class, Joining_Type). The
 *    virama test is exact (derived from canonical reordering); Bidi_Class and
 *    Joining_Type are derived from General Category, Script and code point
 *    ranges, which matches the UCD for the characters the IdentifierClass
 *    admits in practice, but letters of joining scripts outside the Arabic and
 *    Syriac core blocks are all treated as dual-joining.
 *  - The domainpart's repertoire check (IDNA2008, RFC 5892) reuses the PRECIS
 *    IdentifierClass, which differs from RFC 5892 only for characters UTS #46
 *    mapping has already removed.
 */
import { domainToASCII, domainToUnicode } from 'node:url';

export type JidPart = 'local' | 'domain' | 'resource' | 'jid';

export class JidError extends Error {
  readonly part: JidPart;
  constructor(part: JidPart, message: string) {
    super(message);
    this.name = 'JidError';
    this.part = part;
  }
}

/** RFC 7622: each part is 1..1023 octets (UTF-8) after preparation. */
const MAX_PART_OCTETS = 1023;
/**
 * Cheap guard against huge inputs before any Unicode work. No mapping used
 * here turns n UTF-16 code units into fewer than n UTF-8 octets, so anything
 * this long can never prepare to 1023 octets; the margin is generous anyway.
 */
const MAX_RAW_PART = 4 * MAX_PART_OCTETS;
const MAX_RAW_JID = 3 * MAX_RAW_PART + 2;

const octets = (s: string): number => Buffer.byteLength(s, 'utf8');
const hex = (cp: number): string => 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');

function checkLength(part: JidPart, s: string, name: string): void {
  // For pure-ASCII strings length === octets; only count when it can matter.
  if (s.length > MAX_PART_OCTETS || (s.length * 3 > MAX_PART_OCTETS && octets(s) > MAX_PART_OCTETS)) {
    throw new JidError(part, `${name} is longer than ${MAX_PART_OCTETS} octets`);
  }
}

// ---------------------------------------------------------------------------
// PRECIS derived property (RFC 8264 §8, categories §9)
// ---------------------------------------------------------------------------

const PVALID = 1;
const CONTEXTJ = 2;
const CONTEXTO = 3;
const DISALLOWED = 4;
/** ID_DIS in IdentifierClass, FREE_PVAL in FreeformClass. */
const FREE_PVAL = 5;
const UNASSIGNED = 6;

/** RFC 5892 §2.6 Exceptions (RFC 8264 §9.6). */
const EXCEPTIONS = new Map<number, number>([
  [0x00df, PVALID], [0x03c2, PVALID], [0x06fd, PVALID], [0x06fe, PVALID], [0x0f0b, PVALID], [0x3007, PVALID],
  [0x00b7, CONTEXTO], [0x0375, CONTEXTO], [0x05f3, CONTEXTO], [0x05f4, CONTEXTO], [0x30fb, CONTEXTO],
  [0x0640, DISALLOWED], [0x07fa, DISALLOWED], [0x302e, DISALLOWED], [0x302f, DISALLOWED],
  [0x3031, DISALLOWED], [0x3032, DISALLOWED], [0x3033, DISALLOWED], [0x3034, DISALLOWED], [0x3035, DISALLOWED],
  [0x303b, DISALLOWED],
]);
for (let cp = 0x0660; cp <= 0x0669; cp++) EXCEPTIONS.set(cp, CONTEXTO);
for (let cp = 0x06f0; cp <= 0x06f9; cp++) EXCEPTIONS.set(cp, CONTEXTO);

const RE_UNASSIGNED = /^\p{Cn}$/u;
const RE_NONCHARACTER = /^\p{Noncharacter_Code_Point}$/u;
const RE_IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]$/u;
const RE_CONTROL = /^\p{Cc}$/u;
const RE_LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;
/** OtherLetterDigits, Spaces, Symbols, Punctuation (§9.14–9.18). */
const RE_FREE = /^[\p{Lt}\p{Nl}\p{No}\p{Me}\p{Zs}\p{Sm}\p{Sc}\p{Sk}\p{So}\p{Pc}\p{Pd}\p{Ps}\p{Pe}\p{Pi}\p{Pf}\p{Po}]$/u;

/** Hangul_Syllable_Type L, V or T (§9.9). */
function isOldHangulJamo(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97c) || (cp >= 0xd7b0 && cp <= 0xd7c6) || (cp >= 0xd7cb && cp <= 0xd7fb);
}

function computeProperty(cp: number): number {
  const ex = EXCEPTIONS.get(cp);
  if (ex !== undefined) return ex;
  // BackwardCompatible (§9.7) is empty.
  const ch = String.fromCodePoint(cp);
  if (RE_UNASSIGNED.test(ch) && !RE_NONCHARACTER.test(ch)) return UNASSIGNED;
  if (cp >= 0x21 && cp <= 0x7e) return PVALID; // ASCII7
  if (cp === 0x200c || cp === 0x200d) return CONTEXTJ; // JoinControl
  if (isOldHangulJamo(cp)) return DISALLOWED;
  if (RE_IGNORABLE.test(ch)) return DISALLOWED; // PrecisIgnorableProperties
  if (RE_CONTROL.test(ch)) return DISALLOWED;
  if (ch.normalize('NFKC') !== ch) return FREE_PVAL; // HasCompat
  if (RE_LETTER_DIGITS.test(ch)) return PVALID;
  if (RE_FREE.test(ch)) return FREE_PVAL;
  return DISALLOWED;
}

/** Lazily filled table: 0 = not computed yet, otherwise the property value. */
let propertyTable: Uint8Array | undefined;

function derivedProperty(cp: number): number {
  const table = (propertyTable ??= new Uint8Array(0x110000));
  let v = table[cp]!;
  if (v === 0) {
    v = computeProperty(cp);
    table[cp] = v;
  }
  return v;
}

export type PrecisProperty = 'PVALID' | 'CONTEXTJ' | 'CONTEXTO' | 'DISALLOWED' | 'FREE_PVAL' | 'UNASSIGNED';
const PROPERTY_NAMES: readonly PrecisProperty[] = ['PVALID', 'CONTEXTJ', 'CONTEXTO', 'DISALLOWED', 'FREE_PVAL', 'UNASSIGNED'];

/** The PRECIS derived property of a code point (FREE_PVAL doubles as ID_DIS). Mainly for tests and diagnostics. */
export function precisProperty(cp: number): PrecisProperty {
  if (!Number.isInteger(cp) || cp < 0 || cp > 0x10ffff) throw new RangeError(`not a code point: ${cp}`);
  return PROPERTY_NAMES[derivedProperty(cp) - 1]!;
}

// ---------------------------------------------------------------------------
// Context rules (RFC 5892 Appendix A)
// ---------------------------------------------------------------------------

const viramaCache = new Map<number, boolean>();

/**
 * Canonical_Combining_Class(cp) == Virama (9). JavaScript has no ccc property,
 * so canonical reordering tells: the mark sorts after U+093C (ccc 7) and
 * before U+05B0 (ccc 10), i.e. ccc is 8 or 9, and only U+3099/U+309A have 8.
 */
function isVirama(cp: number): boolean {
  let v = viramaCache.get(cp);
  if (v === undefined) {
    const m = String.fromCodePoint(cp);
    v = cp !== 0x3099 && cp !== 0x309a && /^\p{M}$/u.test(m) &&
      ('a' + m + '\u093c').normalize('NFD') === 'a\u093c' + m &&
      ('a\u05b0' + m).normalize('NFD') === 'a' + m + '\u05b0';
    viramaCache.set(cp, v);
  }
  return v;
}

const JT_U = 0, JT_T = 1, JT_D = 2, JT_R = 3;
/** Right-joining letters of the Arabic, Arabic Supplement/Extended-A and Syriac blocks (ArabicShaping.txt). */
const RIGHT_JOINING = new Set<number>([
  0x0622, 0x0623, 0x0624, 0x0625, 0x0627, 0x0629, 0x062f, 0x0630, 0x0631, 0x0632, 0x0648, 0x0671, 0x0672, 0x0673,
  0x0675, 0x0676, 0x0677, 0x06c0, 0x06c2, 0x06c3, 0x06c4, 0x06c5, 0x06c6, 0x06c7, 0x06c8, 0x06c9, 0x06ca, 0x06cb,
  0x06cd, 0x06cf, 0x06d2, 0x06d3, 0x06d5, 0x06ee, 0x06ef, 0x0759, 0x075a, 0x075b, 0x076b, 0x076c, 0x0771, 0x0773,
  0x0774, 0x0778, 0x0779, 0x08aa, 0x08ab, 0x08ac, 0x08ae, 0x08b1, 0x08b2, 0x08b9,
  0x0710, 0x0715, 0x0716, 0x0717, 0x0718, 0x0719, 0x071e, 0x0728, 0x072a, 0x072c, 0x072f, 0x074d,
]);
for (let cp = 0x0688; cp <= 0x0699; cp++) RIGHT_JOINING.add(cp);
const NON_JOINING_LETTERS = new Set<number>([0x0621, 0x0674, 0x08ad]);
const RE_JOINING_SCRIPT_LETTER =
  /^(?=\p{L})[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mandaic}\p{Script=Mongolian}\p{Script=Phags_Pa}\p{Script=Manichaean}\p{Script=Psalter_Pahlavi}\p{Script=Hanifi_Rohingya}\p{Script=Sogdian}\p{Script=Adlam}\p{Script=Chorasmian}\p{Script=Old_Uyghur}]$/u;
const RE_TRANSPARENT = /^[\p{Mn}\p{Me}\p{Cf}]$/u;

function joiningType(cp: number): number {
  if (cp === 0x200c || cp === 0x200d) return JT_U;
  const ch = String.fromCodePoint(cp);
  if (RE_TRANSPARENT.test(ch)) return JT_T;
  if (!RE_JOINING_SCRIPT_LETTER.test(ch) || NON_JOINING_LETTERS.has(cp)) return JT_U;
  return RIGHT_JOINING.has(cp) ? JT_R : JT_D;
}

function zwnjOk(cps: readonly number[], i: number): boolean {
  if (i > 0 && isVirama(cps[i - 1]!)) return true;
  let j = i - 1;
  while (j >= 0 && joiningType(cps[j]!) === JT_T) j--;
  if (j < 0 || joiningType(cps[j]!) !== JT_D) return false; // no Joining_Type L exists
  let k = i + 1;
  while (k < cps.length && joiningType(cps[k]!) === JT_T) k++;
  if (k >= cps.length) return false;
  const r = joiningType(cps[k]!);
  return r === JT_R || r === JT_D;
}

const RE_GREEK = /^\p{Script=Greek}$/u;
const RE_HEBREW = /^\p{Script=Hebrew}$/u;
const RE_KANA_HAN = /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u;

function contextOk(cps: readonly number[], i: number, s: string): boolean {
  const cp = cps[i]!;
  const prev = i > 0 ? cps[i - 1]! : -1;
  const next = i + 1 < cps.length ? cps[i + 1]! : -1;
  switch (cp) {
    case 0x200c: return zwnjOk(cps, i);
    case 0x200d: return prev >= 0 && isVirama(prev);
    case 0x00b7: return prev === 0x6c && next === 0x6c; // MIDDLE DOT between two 'l'
    case 0x0375: return next >= 0 && RE_GREEK.test(String.fromCodePoint(next)); // KERAIA
    case 0x05f3:
    case 0x05f4: return prev >= 0 && RE_HEBREW.test(String.fromCodePoint(prev)); // GERESH, GERSHAYIM
    case 0x30fb: return RE_KANA_HAN.test(s); // KATAKANA MIDDLE DOT
    default:
      if (cp >= 0x0660 && cp <= 0x0669) return !cps.some((c) => c >= 0x06f0 && c <= 0x06f9);
      if (cp >= 0x06f0 && cp <= 0x06f9) return !cps.some((c) => c >= 0x0660 && c <= 0x0669);
      return false;
  }
}

// ---------------------------------------------------------------------------
// Emoji sequences in resourceparts (deliberate relaxation, see file header)
// ---------------------------------------------------------------------------

const RE_EMOJI = /^\p{Emoji}$/u;
const RE_PICTOGRAPH = /^[\p{Extended_Pictographic}\p{Emoji_Presentation}]$/u;
const RE_EMOJI_MODIFIER = /^\p{Emoji_Modifier}$/u;

function emojiSequenceOk(cps: readonly number[], i: number): boolean {
  const cp = cps[i]!;
  const prev = i > 0 ? cps[i - 1]! : -1;
  if (prev < 0) return false;
  const p = String.fromCodePoint(prev);
  if (cp === 0xfe0e || cp === 0xfe0f) return RE_EMOJI.test(p);
  if (cp === 0x200d) {
    const next = i + 1 < cps.length ? cps[i + 1]! : -1;
    return next >= 0 && (prev === 0xfe0f || RE_PICTOGRAPH.test(p) || RE_EMOJI_MODIFIER.test(p)) &&
      RE_PICTOGRAPH.test(String.fromCodePoint(next));
  }
  if (cp >= 0xe0020 && cp <= 0xe007f) return prev === 0x1f3f4 || (prev >= 0xe0020 && prev <= 0xe007e);
  return false;
}

// ---------------------------------------------------------------------------
// Bidi Rule (RFC 5893 §2)
// ---------------------------------------------------------------------------

const B_L = 1, B_R = 2, B_AN = 3, B_EN = 4, B_NSM = 5, B_ES = 6, B_CS = 7, B_ET = 8, B_ON = 9, B_BN = 10, B_OTHER = 11;

function asciiBidi(cp: number): number {
  if ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) return B_L;
  if (cp >= 0x30 && cp <= 0x39) return B_EN;
  if (cp === 0x2b || cp === 0x2d) return B_ES;
  if (cp === 0x2c || cp === 0x2e || cp === 0x2f || cp === 0x3a) return B_CS;
  if (cp >= 0x23 && cp <= 0x25) return B_ET;
  if (cp > 0x20 && cp < 0x7f) return B_ON;
  return B_OTHER; // controls, space: never allowed by the Bidi Rule (BN controls are disallowed by PRECIS anyway)
}

function isArabicNumber(cp: number): boolean {
  return (cp >= 0x0600 && cp <= 0x0605) || (cp >= 0x0660 && cp <= 0x0669) || cp === 0x066b || cp === 0x066c ||
    cp === 0x06dd || cp === 0x0890 || cp === 0x0891 || cp === 0x08e2 || (cp >= 0x10d30 && cp <= 0x10d39) ||
    (cp >= 0x10d40 && cp <= 0x10d49) || (cp >= 0x10e60 && cp <= 0x10e7e);
}

function isEuropeanNumber(cp: number): boolean {
  return (cp >= 0x06f0 && cp <= 0x06f9) || cp === 0xb2 || cp === 0xb3 || cp === 0xb9 || cp === 0x2070 ||
    (cp >= 0x2074 && cp <= 0x2079) || (cp >= 0x2080 && cp <= 0x2089) || (cp >= 0x2488 && cp <= 0x249b) ||
    (cp >= 0xff10 && cp <= 0xff19) || (cp >= 0x102e1 && cp <= 0x102fb) || (cp >= 0x1d7ce && cp <= 0x1d7ff) ||
    (cp >= 0x1f100 && cp <= 0x1f10a) || (cp >= 0x1fbf0 && cp <= 0x1fbf9);
}

/** Blocks whose letters, digits and marks-aside characters are R or AL. */
function inRtlBlock(cp: number): boolean {
  return (cp >= 0x0590 && cp <= 0x08ff) || (cp >= 0xfb1d && cp <= 0xfdff) || (cp >= 0xfe70 && cp <= 0xfeff) ||
    (cp >= 0x10800 && cp <= 0x10fff) || (cp >= 0x1e800 && cp <= 0x1efff);
}

const RE_NSM = /^[\p{Mn}\p{Me}]$/u;
const RE_BN = /^[\p{Cf}\p{Cc}\p{Noncharacter_Code_Point}]$/u;
const RE_STRONG_L = /^[\p{L}\p{Mc}\p{Nd}\p{Nl}\p{No}\p{Co}]$/u;
const RE_SEPARATOR = /^[\p{Z}]$/u;

/**
 * Approximates Bidi_Class from General_Category and code point ranges: exact
 * for ASCII, the RTL scripts' letters, digits and marks, and the exception
 * characters; non-ASCII punctuation and symbols (never in an IdentifierClass
 * string) come out as ON.
 */
function bidiClass(cp: number): number {
  if (cp < 0x80) return asciiBidi(cp);
  if (isArabicNumber(cp)) return B_AN;
  if (isEuropeanNumber(cp)) return B_EN;
  const ch = String.fromCodePoint(cp);
  if (RE_NSM.test(ch)) return B_NSM;
  if (RE_BN.test(ch)) return B_BN;
  if (RE_SEPARATOR.test(ch)) return B_OTHER;
  if (inRtlBlock(cp)) return B_R;
  if (cp === 0x0f0b) return B_L; // TIBETAN MARK INTERSYLLABIC TSHEG is Po but L
  if (cp >= 0x02b9 && cp <= 0x02ff) {
    // Spacing Modifier Letters: only some of the Lm characters are L.
    return (cp >= 0x02bb && cp <= 0x02c1) || cp === 0x02d0 || cp === 0x02d1 || (cp >= 0x02e0 && cp <= 0x02e4) || cp === 0x02ee ? B_L : B_ON;
  }
  return RE_STRONG_L.test(ch) ? B_L : B_ON;
}

function hasRtl(classes: readonly number[]): boolean {
  return classes.some((c) => c === B_R || c === B_AN);
}

/** All six conditions of the Bidi Rule for one label. */
function bidiRuleOk(classes: readonly number[]): boolean {
  const first = classes[0];
  let last = classes.length - 1;
  while (last >= 0 && classes[last] === B_NSM) last--;
  if (last < 0) return false;
  const end = classes[last]!;
  if (first === B_R) {
    let en = false, an = false;
    for (const c of classes) {
      if (c === B_EN) en = true;
      else if (c === B_AN) an = true;
      else if (c !== B_R && c !== B_ES && c !== B_CS && c !== B_ET && c !== B_ON && c !== B_BN && c !== B_NSM) return false;
    }
    return !(en && an) && (end === B_R || end === B_EN || end === B_AN);
  }
  if (first === B_L) {
    for (const c of classes) {
      if (c !== B_L && c !== B_EN && c !== B_ES && c !== B_CS && c !== B_ET && c !== B_ON && c !== B_BN && c !== B_NSM) return false;
    }
    return end === B_L || end === B_EN;
  }
  return false;
}

// ---------------------------------------------------------------------------
// String class enforcement
// ---------------------------------------------------------------------------

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

function checkStringClass(part: JidPart, name: string, s: string, cps: readonly number[], freeform: boolean): void {
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    const p = derivedProperty(cp);
    if (p === PVALID) continue;
    if (p === FREE_PVAL) {
      if (freeform) continue;
      throw new JidError(part, `${name} contains disallowed code point ${hex(cp)}`);
    }
    if (p === CONTEXTJ || p === CONTEXTO) {
      if (contextOk(cps, i, s) || (freeform && emojiSequenceOk(cps, i))) continue;
      throw new JidError(part, `${name} contains ${hex(cp)} in a context where it is not allowed`);
    }
    if (freeform && emojiSequenceOk(cps, i)) continue;
    throw new JidError(part, `${name} contains ${p === UNASSIGNED ? 'unassigned' : 'disallowed'} code point ${hex(cp)}`);
  }
}

/**
 * Applies `map` until the result is stable (RFC 8264 §7: a string that is not
 * stable after three applications is rejected).
 */
function untilStable(part: JidPart, name: string, s: string, map: (s: string) => string): string {
  let cur = s;
  for (let round = 0; round < 3; round++) {
    const next = map(cur);
    if (next === cur) return cur;
    cur = next;
  }
  throw new JidError(part, `${name} does not prepare to a stable form`);
}

// ---------------------------------------------------------------------------
// localpart: UsernameCaseMapped (RFC 8265 §3.3) + RFC 7622 §3.3.1
// ---------------------------------------------------------------------------

/** Printable ASCII without space and without " & ' / : < > @: already valid, needs only lowercasing. */
const ASCII_LOCAL = /^[!#-%(-.0-9;=?A-~]+$/;
const FORBIDDEN_IN_LOCAL = /["&'/:<>@]/;
const HAS_WIDE_OR_NARROW = /[\u3000\uff01-\uffee]/;

/**
 * Decomposition mapping of a <wide> or <narrow> code point (only U+3000 and
 * the Halfwidth and Fullwidth Forms block have those). NFKD gives it directly
 * except where the target has a compatibility decomposition of its own.
 */
function widthMapChar(cp: number): number {
  if (cp === 0xffa0) return 0x3164; // HALFWIDTH HANGUL FILLER
  if (cp >= 0xffa1 && cp <= 0xffbe) return 0x3131 + (cp - 0xffa1);
  if (cp >= 0xffc2 && cp <= 0xffc7) return 0x314f + (cp - 0xffc2);
  if (cp >= 0xffca && cp <= 0xffcf) return 0x3155 + (cp - 0xffca);
  if (cp >= 0xffd2 && cp <= 0xffd7) return 0x315b + (cp - 0xffd2);
  if (cp >= 0xffda && cp <= 0xffdc) return 0x3161 + (cp - 0xffda);
  if (cp === 0xffe3) return 0x00af; // FULLWIDTH MACRON
  const d = String.fromCodePoint(cp).normalize('NFKD');
  return d.length === 1 ? d.charCodeAt(0) : cp;
}

function widthMap(s: string): string {
  if (!HAS_WIDE_OR_NARROW.test(s)) return s;
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    out += cp === 0x3000 || (cp >= 0xff01 && cp <= 0xffee) ? String.fromCharCode(widthMapChar(cp)) : ch;
  }
  return out;
}

const mapLocal = (s: string): string => widthMap(s).toLowerCase().normalize('NFC');

export function prepareLocal(s: string): string {
  if (typeof s !== 'string' || s.length === 0) throw new JidError('local', 'localpart is empty');
  if (s.length > MAX_RAW_PART) throw new JidError('local', `localpart is longer than ${MAX_PART_OCTETS} octets`);
  if (ASCII_LOCAL.test(s)) {
    // Pure printable ASCII: nothing to width-map or normalize, all PVALID, no RTL.
    checkLength('local', s, 'localpart');
    return s.toLowerCase();
  }
  const out = untilStable('local', 'localpart', s, mapLocal);
  if (out.length === 0) throw new JidError('local', 'localpart is empty');
  const cps = codePoints(out);
  checkStringClass('local', 'localpart', out, cps, false);
  const bad = FORBIDDEN_IN_LOCAL.exec(out);
  if (bad) throw new JidError('local', `localpart contains forbidden character ${JSON.stringify(bad[0])}`);
  const classes = cps.map(bidiClass);
  if (hasRtl(classes) && !bidiRuleOk(classes)) throw new JidError('local', 'localpart violates the Bidi Rule (RFC 5893)');
  checkLength('local', out, 'localpart');
  return out;
}

// ---------------------------------------------------------------------------
// resourcepart: OpaqueString (RFC 8265 §4.2)
// ---------------------------------------------------------------------------

const ASCII_RESOURCE = /^[\x20-\x7e]+$/;
const NON_ASCII_SPACE = /(?!\x20)\p{Zs}/gu;

const mapResource = (s: string): string => s.replace(NON_ASCII_SPACE, ' ').normalize('NFC');

export function prepareResource(s: string): string {
  if (typeof s !== 'string' || s.length === 0) throw new JidError('resource', 'resourcepart is empty');
  if (s.length > MAX_RAW_PART) throw new JidError('resource', `resourcepart is longer than ${MAX_PART_OCTETS} octets`);
  if (ASCII_RESOURCE.test(s)) {
    // Printable ASCII and space: PVALID / FREE_PVAL, already NFC.
    checkLength('resource', s, 'resourcepart');
    return s;
  }
  const out = untilStable('resource', 'resourcepart', s, mapResource);
  checkStringClass('resource', 'resourcepart', out, codePoints(out), true);
  checkLength('resource', out, 'resourcepart');
  return out;
}

// ---------------------------------------------------------------------------
// domainpart (RFC 7622 §3.2)
// ---------------------------------------------------------------------------

const ASCII_DOMAIN = /^[A-Za-z0-9._-]+$/;
const ASCII_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/i;
const IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
const IPV6_CHARS = /^\[[0-9A-Fa-f:.]+\]$/;

const DOMAIN_CACHE_MAX = 1000;
const domainCache = new Map<string, string>();

function invalidDomain(why: string): JidError {
  return new JidError('domain', `domainpart ${why}`);
}

/** Checks A-label form: LDH (+ '_') labels of 1..63 octets, no leading/trailing '-', '--' at 3-4 only for xn--. */
function checkAsciiLabels(ascii: string): void {
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label.length === 0) throw invalidDomain('has an empty label');
    if (!ASCII_LABEL.test(label)) throw invalidDomain(`has an invalid label ${JSON.stringify(label)}`);
    if (label.charCodeAt(2) === 0x2d && label.charCodeAt(3) === 0x2d && !label.startsWith('xn--')) {
      throw invalidDomain(`has a label with "--" in the third and fourth position: ${JSON.stringify(label)}`);
    }
  }
  // A numeric last label makes the WHATWG host parser read an IPv4 address
  // ("1.2.3" -> "1.2.0.3"); only canonical dotted quads are addresses here.
  if (NUMERIC_LABEL.test(labels[labels.length - 1]!)) throw invalidDomain('is neither a valid IPv4 address nor a domain name');
}

/** IDNA2008 repertoire (RFC 5892), approximated by the PRECIS IdentifierClass, and the Bidi Rule per label. */
function checkULabels(uni: string): void {
  const labels = uni.split('.');
  const classes: number[][] = [];
  let bidiDomain = false;
  for (const label of labels) {
    const cps = codePoints(label);
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i]!;
      if (cp < 0x80) continue; // checked in A-label form
      const p = derivedProperty(cp);
      const ignorableBlock = (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0x1d100 && cp <= 0x1d24f);
      if (ignorableBlock || !(p === PVALID || ((p === CONTEXTJ || p === CONTEXTO) && contextOk(cps, i, label)))) {
        throw invalidDomain(`contains code point ${hex(cp)} not allowed in IDNA2008 labels`);
      }
    }
    const c = cps.map(bidiClass);
    if (hasRtl(c)) bidiDomain = true;
    classes.push(c);
  }
  if (bidiDomain && !classes.every(bidiRuleOk)) throw invalidDomain('violates the Bidi Rule (RFC 5893)');
}

function prepareDomainUncached(d: string): string {
  if (d.charCodeAt(0) === 0x5b /* [ */) {
    if (!IPV6_CHARS.test(d)) throw invalidDomain('is not a valid IPv6 literal');
    let host: string;
    try {
      host = new URL(`http://${d}/`).hostname; // canonical (RFC 5952-style) lowercase form
    } catch {
      throw invalidDomain('is not a valid IPv6 literal');
    }
    if (host.charCodeAt(0) !== 0x5b) throw invalidDomain('is not a valid IPv6 literal');
    return host;
  }
  if (IPV4.test(d)) return d;
  if (ASCII_DOMAIN.test(d)) {
    const lower = d.toLowerCase();
    if (!lower.includes('xn--')) {
      checkAsciiLabels(lower);
      checkLength('domain', lower, 'domainpart');
      return lower;
    }
  }
  const ascii = domainToASCII(d);
  if (ascii === '') throw invalidDomain(`${JSON.stringify(d)} is not a valid domain name`);
  checkAsciiLabels(ascii);
  const uni = domainToUnicode(ascii);
  if (uni === '') throw invalidDomain(`${JSON.stringify(d)} is not a valid domain name`);
  checkULabels(uni);
  checkLength('domain', uni, 'domainpart');
  return uni;
}

export function prepareDomain(s: string): string {
  if (typeof s !== 'string' || s.length === 0) throw invalidDomain('is empty');
  const cached = domainCache.get(s);
  if (cached !== undefined) return cached;
  if (s.length > MAX_RAW_PART) throw invalidDomain(`is longer than ${MAX_PART_OCTETS} octets`);
  // RFC 7622 §3.2: strip one trailing label separator before anything else.
  let d = s;
  const last = d.charCodeAt(d.length - 1);
  if (last === 0x2e || last === 0x3002 || last === 0xff0e || last === 0xff61) d = d.slice(0, -1);
  if (d.length === 0) throw invalidDomain('is empty');
  const out = prepareDomainUncached(d);
  if (domainCache.size >= DOMAIN_CACHE_MAX) domainCache.clear();
  domainCache.set(s, out);
  return out;
}

// ---------------------------------------------------------------------------
// Jid
// ---------------------------------------------------------------------------

/**
 * Parse cache: raw string -> Jid, at most PARSE_CACHE_MAX entries in two
 * generations. New entries go to `young`; when it is full it becomes `old` and
 * the previous `old` is dropped. Hits in `old` are promoted, so strings in
 * steady use stay cached (approximate LRU at the cost of two Map lookups).
 */
const PARSE_CACHE_MAX = 10_000;
const PARSE_CACHE_GENERATION = PARSE_CACHE_MAX / 2;
const PARSE_CACHE_MAX_KEY = 1024;
let youngCache = new Map<string, Jid>();
let oldCache = new Map<string, Jid>();

function remember(key: string, jid: Jid): void {
  if (key.length > PARSE_CACHE_MAX_KEY) return;
  youngCache.set(key, jid);
  if (youngCache.size >= PARSE_CACHE_GENERATION) {
    oldCache = youngCache;
    youngCache = new Map();
  }
}

function cached(key: string): Jid | undefined {
  const young = youngCache.get(key);
  if (young !== undefined) return young;
  const old = oldCache.get(key);
  if (old !== undefined) remember(key, old);
  return old;
}

export class Jid {
  /** Prepared localpart, '' when absent. */
  readonly local: string;
  /** Prepared domainpart (Unicode form, lowercase, or an IP literal). */
  readonly domain: string;
  /** Prepared resourcepart, '' when absent. */
  readonly resource: string;
  /** 'local@domain' or 'domain'. */
  readonly bareString: string;
  // Private fields are not properties, so they stay writable after freeze().
  #full: string | undefined;
  #bare: Jid | undefined;

  private constructor(local: string, domain: string, resource: string) {
    this.local = local;
    this.domain = domain;
    this.resource = resource;
    this.bareString = local ? `${local}@${domain}` : domain;
    Object.freeze(this);
  }

  private static parseUncached(s: string): Jid {
    if (typeof s !== 'string') throw new JidError('jid', 'JID is not a string');
    if (s.length === 0) throw new JidError('jid', 'JID is empty');
    if (s.length > MAX_RAW_JID) throw new JidError('jid', 'JID is too long');
    // RFC 7622 §3.2: the resourcepart is everything after the first '/'; the
    // localpart is everything before the first '@' of what remains.
    let rest = s;
    let resource = '';
    const slash = s.indexOf('/');
    if (slash !== -1) {
      resource = s.slice(slash + 1);
      rest = s.slice(0, slash);
      if (resource.length === 0) throw new JidError('resource', 'resourcepart is empty');
    }
    let local = '';
    let domain = rest;
    const at = rest.indexOf('@');
    if (at !== -1) {
      local = rest.slice(0, at);
      domain = rest.slice(at + 1);
      if (local.length === 0) throw new JidError('local', 'localpart is empty');
    }
    if (domain.length === 0) throw new JidError('domain', 'domainpart is empty');
    return new Jid(local ? prepareLocal(local) : '', prepareDomain(domain), resource ? prepareResource(resource) : '');
  }

  /** Parses and prepares a JID; throws JidError. Results are cached. */
  static parse(s: string): Jid {
    const hit = cached(s);
    if (hit !== undefined) return hit;
    const jid = Jid.parseUncached(s);
    remember(s, jid);
    const canonical = jid.toString();
    if (canonical !== s && !youngCache.has(canonical)) remember(canonical, jid);
    return jid;
  }

  /** Like parse(), but undefined for absent or invalid input. */
  static tryParse(s: string | undefined | null): Jid | undefined {
    if (s === undefined || s === null) return undefined;
    try {
      return Jid.parse(s);
    } catch (err) {
      if (err instanceof JidError) return undefined;
      throw err;
    }
  }

  /** Builds a JID from raw parts, preparing each; '' (or no resource) means the part is absent. */
  static of(local: string, domain: string, resource?: string): Jid {
    return new Jid(local ? prepareLocal(local) : '', prepareDomain(domain), resource ? prepareResource(resource) : '');
  }

  get bare(): Jid {
    if (!this.resource) return this;
    return (this.#bare ??= new Jid(this.local, this.domain, ''));
  }

  get isBare(): boolean {
    return this.resource === '';
  }

  get isDomain(): boolean {
    return this.local === '' && this.resource === '';
  }

  toString(): string {
    if (!this.resource) return this.bareString;
    return (this.#full ??= `${this.bareString}/${this.resource}`);
  }

  toJSON(): string {
    return this.toString();
  }

  equals(o: Jid | undefined | null): boolean {
    if (o === undefined || o === null) return false;
    return o === this || (o.local === this.local && o.domain === this.domain && o.resource === this.resource);
  }

  withResource(r: string): Jid {
    const prepared = prepareResource(r);
    if (prepared === this.resource) return this;
    return new Jid(this.local, this.domain, prepared);
  }
}
