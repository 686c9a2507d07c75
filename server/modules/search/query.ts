/**
 * What a directory search asks and how an entry matches (XEP-0055 §2 legacy fields, §3 data form).
 * Matching is case-insensitive (NFKC + lower case) on whole values: `bob` finds "Bob" only;
 * a trailing `*` makes a prefix match (`bo*` finds "bob", "Bobby"). The full name also matches on
 * any of its words ("ann*" finds "Mary Ann Smith"). Several fields must all match. A search with
 * no value, or only bare `*`, would list everyone: it is not-acceptable.
 */
import { StanzaError } from '../../core/errors.js';
import { childElements, type Element } from '../../core/stanza.js';

export const NS_SEARCH = 'jabber:iq:search';
export const NS_DATA = 'jabber:x:data';

/** `msisdn` is resolved to its owner's username before matching (index.ts), through the msisdn module. */
export const FIELDS = ['username', 'nick', 'fn', 'first', 'last', 'email', 'msisdn'] as const;
export type Field = (typeof FIELDS)[number];
const LEGACY = new Set(['first', 'last', 'nick', 'email']);

export interface Entry { username: string; fn?: string; first?: string; last?: string; nick?: string; emails: string[] }
export interface Term { field: Field; value: string; prefix: boolean }

export const fold = (s: string): string => s.normalize('NFKC').toLowerCase().trim();

function term(field: Field, raw: string): Term | undefined {
  if (field === 'msisdn') return raw.trim() === '' ? undefined : { field, value: raw.trim(), prefix: false };
  const v = fold(raw);
  if (v === '' || /^\*+$/.test(v)) return undefined;
  const prefix = v.endsWith('*');
  return { field, value: prefix ? v.replace(/\*+$/, '') : v, prefix };
}

/** The terms of a submitted <query/>: a jabber:x:data form if there is one, else the legacy fields. */
export function parseQuery(query: Element): Term[] {
  const form = query.getChild('x', NS_DATA);
  const terms: Term[] = [];
  if (form) {
    if (form.attrs.type !== 'submit') throw new StanzaError('bad-request', 'the form must be of type submit');
    for (const f of form.getChildren('field')) {
      const v = f.attrs.var;
      if (!v) throw new StanzaError('bad-request', 'a field without var');
      const values = f.getChildren('value').map((x) => x.text());
      if (v === 'FORM_TYPE') {
        if (values.length !== 1 || values[0] !== NS_SEARCH) throw new StanzaError('bad-request', `FORM_TYPE must be ${NS_SEARCH}`);
        continue;
      }
      if (!(FIELDS as readonly string[]).includes(v)) throw new StanzaError('bad-request', `unknown field ${v}`);
      if (values.length > 1) throw new StanzaError('bad-request', `field ${v} takes one value`);
      const t = values[0] === undefined ? undefined : term(v as Field, values[0]);
      if (t) terms.push(t);
    }
  } else {
    for (const c of childElements(query)) {
      if (!LEGACY.has(c.name)) throw new StanzaError('bad-request', `unknown field ${c.name}`);
      const t = term(c.name as Field, c.text());
      if (t) terms.push(t);
    }
  }
  if (terms.length === 0) throw new StanzaError('not-acceptable', 'give at least one field to search by');
  return terms;
}

const hit = (t: Term, value: string | undefined): boolean => {
  if (value === undefined) return false;
  const v = fold(value);
  return t.prefix ? v.startsWith(t.value) : v === t.value;
};

export function matches(e: Entry, terms: readonly Term[]): boolean {
  return terms.every((t) => {
    switch (t.field) {
      case 'username': return hit(t, e.username);
      case 'msisdn': return false;
      case 'email': return e.emails.some((m) => hit(t, m));
      case 'fn': return hit(t, e.fn) || (e.fn ?? '').split(/\s+/).some((w) => hit(t, w));
      default: return hit(t, e[t.field]);
    }
  });
}
