/**
 * ENUM (RFC 6116): an E.164 number's NAPTR records under an ENUM suffix (e164.arpa or a private,
 * carrier ENUM tree) give the URIs of its services.
 *   §2.4  the application-unique string is the number in `+CC…` form; the key is its digits
 *         reversed and dot-separated under the suffix (+4479… → 9.7.4.4.e164.arpa).
 *   §2.4.1/RFC 3403 §4.1 records are taken lowest `order` first, then lowest `preference`; the first
 *         one that yields a URI of a wanted service wins. Only terminal records (flag "u") are used:
 *         non-terminal ones (empty flags, a further lookup of `replacement`) are ignored here.
 *   §3.2.3 the service field is "E2U" followed by `+type[:subtype]` enumservices; we take
 *         `xmpp` (RFC 4979, an xmpp: URI) and `im` (RFC 5028, an im: URI or another IM URI).
 *   RFC 3402 §3.2 the regexp is delim-ERE-delim-replacement-delim-flags; `\1`…`\9` in the
 *         replacement are back-references, flag `i` ignores case.
 * NXDOMAIN and "no NAPTR" mean the suffix has no entry; network errors are failures.
 */
import { Jid } from '../../server/core/jid.js';

export interface NaptrRecord { flags: string; service: string; regexp: string; replacement: string; order: number; preference: number }
export interface NaptrResolver { resolveNaptr(name: string): Promise<NaptrRecord[]> }

export type EnumResult = { kind: 'found'; jid: Jid; uri: string } | { kind: 'none' } | { kind: 'error'; error: string };

/** The ENUM domain for a canonical number under `suffix` (RFC 6116 §2.4). */
export function enumDomain(e164: string, suffix: string): string {
  const digits = e164.replace(/^\+/, '').split('').reverse().join('.');
  return `${digits}.${suffix.replace(/^\.+|\.+$/g, '')}`;
}

/** Whether the service field names an enumservice we resolve to an XMPP address. */
export function wantedService(service: string): boolean {
  const parts = service.toLowerCase().split('+');
  if (parts[0] !== 'e2u') return false;
  return parts.slice(1).some((p) => {
    const type = p.split(':')[0];
    return type === 'xmpp' || type === 'im';
  });
}

/** Splits a NAPTR regexp into its ERE, replacement and flags; undefined if malformed (RFC 3402 §3.2). */
export function parseSubstitution(field: string): { ere: string; repl: string; flags: string } | undefined {
  if (field.length < 3) return undefined;
  const delim = field[0]!;
  if (/[0-9\\i]/.test(delim)) return undefined;
  const parts: string[] = [];
  let cur = '';
  for (let i = 1; i < field.length; i++) {
    const c = field[i]!;
    if (c === '\\' && field[i + 1] === delim) {
      cur += delim;
      i++;
    } else if (c === '\\' && i + 1 < field.length) {
      cur += c + field[i + 1];
      i++;
    } else if (c === delim) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (parts.length !== 2) return undefined;
  const flags = cur;
  if (flags !== '' && flags !== 'i') return undefined;
  return { ere: parts[0]!, repl: parts[1]!, flags };
}

/** Applies a NAPTR substitution to the application-unique string; undefined if it does not match. */
export function substitute(field: string, aus: string): string | undefined {
  const p = parseSubstitution(field);
  if (!p) return undefined;
  let re: RegExp;
  try {
    re = new RegExp(p.ere, p.flags === 'i' ? 'i' : '');
  } catch {
    return undefined;
  }
  const m = re.exec(aus);
  if (!m) return undefined;
  let out = '';
  for (let i = 0; i < p.repl.length; i++) {
    const c = p.repl[i]!;
    if (c === '\\' && i + 1 < p.repl.length) {
      const n = p.repl[++i]!;
      if (/[1-9]/.test(n)) out += m[Number(n)] ?? '';
      else out += n;
    } else {
      out += c;
    }
  }
  return out;
}

/** The bare JID an xmpp: (RFC 5122) or im: (RFC 3860) URI names, if any. */
export function uriToJid(uri: string): Jid | undefined {
  const m = /^(xmpp|im):(.*)$/i.exec(uri);
  if (!m) return undefined;
  let rest = m[2]!;
  // RFC 5122 §2.3: xmpp://auth-jid/target; the target is what we want.
  if (m[1]!.toLowerCase() === 'xmpp' && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    if (slash < 0) return undefined;
    rest = rest.slice(slash + 1);
  }
  rest = rest.replace(/[?#].*$/s, '');
  let text: string;
  try {
    text = decodeURIComponent(rest);
  } catch {
    return undefined;
  }
  const jid = Jid.tryParse(text);
  if (!jid || !jid.local) return undefined;
  return jid.bare;
}

/** The usable URIs of a record set in processing order. */
export function orderedTargets(records: readonly NaptrRecord[], aus: string): Array<{ uri: string; jid: Jid }> {
  const sorted = [...records].sort((a, b) => a.order - b.order || a.preference - b.preference);
  const out: Array<{ uri: string; jid: Jid }> = [];
  for (const r of sorted) {
    if (r.flags.toLowerCase() !== 'u') continue; // non-terminal (or unknown flags): ignored
    if (!wantedService(r.service)) continue;
    const uri = substitute(r.regexp, aus);
    if (!uri) continue;
    const jid = uriToJid(uri);
    if (jid) out.push({ uri, jid });
  }
  return out;
}

const ABSENT = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'ENONAME']);

/** Looks the number up under each suffix in turn; the first suffix with a usable record answers. */
export async function resolveEnum(dns: NaptrResolver, e164: string, suffixes: readonly string[]): Promise<EnumResult> {
  let error: string | undefined;
  for (const suffix of suffixes) {
    let records: NaptrRecord[];
    try {
      records = await dns.resolveNaptr(enumDomain(e164, suffix));
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'EUNKNOWN';
      if (!ABSENT.has(code)) error = code;
      continue;
    }
    const first = orderedTargets(records, e164)[0];
    if (first) return { kind: 'found', jid: first.jid, uri: first.uri };
  }
  return error ? { kind: 'error', error } : { kind: 'none' };
}
