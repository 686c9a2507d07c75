/**
 * Discussion history on entering (XEP-0045 §7.2.12-§7.2.15): the newest messages first chosen by
 * the room's default (muc#maxhistoryfetch), then narrowed by the client's <history/> attributes,
 * maxstanzas, maxchars (characters of the complete stanzas), seconds and since; all that are
 * given apply together.
 */
import type { Element } from '@xmpp/xml';

export interface HistoryItem { stanza: Element; when: number; chars: number }

const nonNegInt = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
};

export function selectHistory(items: readonly HistoryItem[], request: Element | undefined, defaultMax: number, now: number): HistoryItem[] {
  let maxStanzas = defaultMax;
  let maxChars = Infinity;
  let notBefore = -Infinity;
  if (request) {
    const ms = nonNegInt(request.attrs.maxstanzas);
    if (ms !== undefined) maxStanzas = Math.min(ms, defaultMax);
    const mc = nonNegInt(request.attrs.maxchars);
    if (mc !== undefined) maxChars = mc;
    const sec = nonNegInt(request.attrs.seconds);
    if (sec !== undefined) notBefore = now - sec * 1000;
    if (request.attrs.since) {
      const t = Date.parse(request.attrs.since);
      if (!Number.isNaN(t)) notBefore = Math.max(notBefore, t);
    }
  }
  const out: HistoryItem[] = [];
  let chars = 0;
  for (let i = items.length - 1; i >= 0 && out.length < maxStanzas; i--) {
    const h = items[i]!;
    if (h.when < notBefore) break;
    if (chars + h.chars > maxChars) break;
    chars += h.chars;
    out.push(h);
  }
  return out.reverse();
}
