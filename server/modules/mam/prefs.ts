/**
 * Archiving preferences, XEP-0441 (formerly XEP-0313 §6), in the urn:xmpp:mam:2 namespace:
 * <prefs default='always|never|roster'> with <always/> and <never/> lists of <jid/>s.
 * A JID on the 'never' list is never archived, one on the 'always' list always is (never wins
 * if a JID is on both); anyone else follows 'default' ('roster': archived when the contact is
 * in the user's roster). A bare JID in a list matches every resource; a full JID only itself.
 * Without stored preferences everything is archived (default 'always').
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import { NS_MAM } from './form.js';

export type DefaultPref = 'always' | 'never' | 'roster';
export interface Prefs { default: DefaultPref; always: string[]; never: string[] }

export const DEFAULT_PREFS: Prefs = { default: 'always', always: [], never: [] };
/** Bounds what one user can make us store and scan per message. */
export const MAX_PREF_JIDS = 1000;

const DEFAULTS = new Set<string>(['always', 'never', 'roster']);

function jidList(el: Element | undefined, what: string): string[] {
  if (!el) return [];
  const out = new Set<string>();
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    if (c.name !== 'jid') throw new StanzaError('bad-request', `unexpected <${c.name}/> in <${what}/>`);
    const jid = Jid.tryParse(c.getText().trim());
    if (!jid) throw new StanzaError('bad-request', `<${what}/> holds an invalid JID`);
    out.add(jid.toString());
  }
  return [...out];
}

export function parsePrefs(el: Element): Prefs {
  const def = el.attrs.default;
  if (!DEFAULTS.has(def)) throw new StanzaError('bad-request', "default must be 'always', 'never' or 'roster'");
  const p: Prefs = { default: def as DefaultPref, always: jidList(el.getChild('always'), 'always'), never: jidList(el.getChild('never'), 'never') };
  if (p.always.length + p.never.length > MAX_PREF_JIDS) throw new StanzaError('not-acceptable', `at most ${MAX_PREF_JIDS} JIDs`);
  return p;
}

export function prefsElement(p: Prefs): Element {
  const list = (name: string, jids: string[]) => xml(name, {}, ...jids.map((j) => xml('jid', {}, j)));
  return xml('prefs', { xmlns: NS_MAM, default: p.default }, list('always', p.always), list('never', p.never));
}

const matches = (list: string[], peer: Jid) => list.some((j) => j === peer.bareString || j === peer.toString());

/** 'yes'/'no', or 'roster' when the answer depends on whether `peer` is in the user's roster. */
export function decide(p: Prefs, peer: Jid): 'yes' | 'no' | 'roster' {
  if (matches(p.never, peer)) return 'no';
  if (matches(p.always, peer)) return 'yes';
  if (p.default === 'always') return 'yes';
  if (p.default === 'never') return 'no';
  return 'roster';
}
