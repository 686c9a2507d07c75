/**
 * E.164 normalisation (ITU-T E.164; seed §6.1, PP-45): any way a person writes a number, national
 * or international, becomes the canonical `+CC…` form, or nothing. libphonenumber-js with its full
 * ("max") metadata decides validity, so short codes (112, 118118), unallocated ranges and numbers
 * of the wrong length are rejected. A national number needs a default region.
 */
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** Characters people put in numbers; anything else (letters, `@`) makes the input not a number. */
const WRITTEN = /^[+0-9 ()\-./\u00a0]+$/u;

export function normalise(input: string, defaultRegion?: string | null): string | undefined {
  const s = input.trim();
  if (s.length === 0 || s.length > 32 || !WRITTEN.test(s)) return undefined;
  const digits = s.replace(/[^0-9]/g, '');
  // 00 is the international prefix in most of the world; without a region it is the only other clue.
  const text = s.startsWith('00') && !defaultRegion ? `+${digits.slice(2)}` : s;
  if (!text.startsWith('+') && !defaultRegion) return undefined;
  const n = parsePhoneNumberFromString(text, (defaultRegion ?? undefined) as CountryCode | undefined);
  if (!n || !n.isValid()) return undefined;
  return n.number;
}

/** Whether `s` is already canonical (`+` and 1..15 digits, no leading zero); cheap, no metadata. */
export function isCanonical(s: string): boolean {
  return /^\+[1-9][0-9]{0,14}$/.test(s);
}
