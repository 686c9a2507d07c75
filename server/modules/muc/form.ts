/** XEP-0004 data forms as used by MUC: the muc#roomconfig form (§10.2) and muc#roominfo (§6.4). */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { NS_DATA } from './ns.js';

export type FieldType = 'boolean' | 'text-single' | 'text-private' | 'list-single' | 'hidden' | 'jid-single' | 'jid-multi' | 'text-multi';

export interface FormField {
  var: string;
  type?: FieldType;
  label?: string;
  values: string[];
  options?: Array<{ label?: string; value: string }>;
}

export const boolValue = (b: boolean): string => (b ? '1' : '0');

export function fieldElement(f: FormField): Element {
  const attrs: Record<string, string> = { var: f.var };
  if (f.type) attrs.type = f.type;
  if (f.label) attrs.label = f.label;
  const el = xml('field', attrs);
  for (const v of f.values) el.append(xml('value', {}, v));
  for (const o of f.options ?? []) el.append(xml('option', o.label ? { label: o.label } : {}, xml('value', {}, o.value)));
  return el;
}

export function formElement(type: 'form' | 'result' | 'submit', formType: string, fields: readonly FormField[], title?: string): Element {
  const x = xml('x', { xmlns: NS_DATA, type });
  if (title) x.append(xml('title', {}, title));
  x.append(fieldElement({ var: 'FORM_TYPE', type: 'hidden', values: [formType] }));
  for (const f of fields) x.append(fieldElement(f));
  return x;
}

/** The values of a submitted form, by field var; checks its FORM_TYPE when it has one. */
export function formValues(x: Element, formType: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of x.getChildren('field')) {
    const name = f.attrs.var as string | undefined;
    if (!name) continue;
    out.set(name, f.getChildren('value').map((v) => v.text()));
  }
  const ft = out.get('FORM_TYPE');
  if (ft && ft[0] !== formType) throw new StanzaError('bad-request', 'wrong FORM_TYPE');
  return out;
}

/** XEP-0004 §3.3 boolean: "1"/"true" or "0"/"false". */
export function parseBool(v: string[] | undefined, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  const s = (v[0] ?? '').trim();
  if (s === '1' || s === 'true') return true;
  if (s === '0' || s === 'false' || s === '') return false;
  throw new StanzaError('not-acceptable', `${name} must be a boolean`);
}

export const single = (v: string[] | undefined): string | undefined => (v === undefined ? undefined : (v[0] ?? ''));
