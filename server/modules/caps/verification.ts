/**
 * XEP-0115 §5.1 the verification string, §5.4 the checks a disco#info answer must pass before its
 * hash is compared with the advertised 'ver'. Pure functions; the published examples of §5.2 and
 * §5.3 are the test vectors.
 */
import { createHash } from 'node:crypto';
import type { Element } from '@xmpp/xml';

export const NS_CAPS = 'http://jabber.org/protocol/caps';
export const NS_INFO = 'http://jabber.org/protocol/disco#info';
const NS_DATA = 'jabber:x:data';

export interface CapsIdentity { category: string; type: string; lang?: string; name?: string }
export interface CapsForm { formType: string; fields: Array<{ var: string; values: string[] }> }
export interface CapsInfo { identities: CapsIdentity[]; features: string[]; forms: CapsForm[] }

/** IANA hash names (§5.1 "hash") that we verify; MD5 is in the registry but not trusted here. */
const HASHES: Record<string, string> = { 'sha-1': 'sha1', 'sha-224': 'sha224', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

export function supportedHash(name: string | undefined): boolean {
  return name !== undefined && Object.hasOwn(HASHES, name);
}

/** "i;octet" (RFC 4790): compare the UTF-8 bytes, which is not JavaScript's UTF-16 order. */
function octet(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function children(el: Element, name: string, ns?: string): Element[] {
  const out: Element[] = [];
  for (const c of el.children) {
    if (typeof c === 'string' || c.name !== name) continue;
    if (ns !== undefined && c.attrs.xmlns !== ns) continue;
    out.push(c);
  }
  return out;
}

/** §5.1: identities, then features, then extended forms, each item followed by '<'. */
export function verificationString(info: CapsInfo): string {
  let s = '';
  const ids = [...info.identities].sort((a, b) =>
    octet(a.category, b.category) || octet(a.type, b.type) || octet(a.lang ?? '', b.lang ?? '') || octet(a.name ?? '', b.name ?? ''));
  for (const i of ids) s += `${i.category}/${i.type}/${i.lang ?? ''}/${i.name ?? ''}<`;
  for (const f of [...info.features].sort(octet)) s += `${f}<`;
  for (const form of [...info.forms].sort((a, b) => octet(a.formType, b.formType))) {
    s += `${form.formType}<`;
    for (const field of [...form.fields].sort((a, b) => octet(a.var, b.var))) {
      s += `${field.var}<`;
      for (const v of [...field.values].sort(octet)) s += `${v}<`;
    }
  }
  return s;
}

/** The 'ver' for `info` with the named hash (§5.1 steps 7–8), base64; undefined for a hash we do not verify. */
export function capsVer(info: CapsInfo, hash = 'sha-1'): string | undefined {
  const algo = HASHES[hash];
  if (!algo) return undefined;
  return createHash(algo).update(verificationString(info), 'utf8').digest('base64');
}

/**
 * XEP-0128 forms of a disco#info answer. A form whose FORM_TYPE is not a hidden field is skipped
 * (§5.4 step 3.7); a FORM_TYPE with several different values makes the answer ill-formed (3.6).
 */
function parseForm(x: Element): CapsForm | 'skip' | 'ill-formed' {
  let formType: string | undefined;
  let hidden = false;
  const fields: CapsForm['fields'] = [];
  for (const f of children(x, 'field')) {
    const name = f.attrs.var as string | undefined;
    const values = children(f, 'value').map((v) => v.getText());
    if (name === 'FORM_TYPE') {
      if (new Set(values).size !== 1) return 'ill-formed';
      formType = values[0];
      hidden = f.attrs.type === 'hidden';
      continue;
    }
    if (name !== undefined) fields.push({ var: name, values });
  }
  if (formType === undefined || !hidden) return 'skip';
  return { formType, fields };
}

/**
 * A disco#info <query/> as caps input, or 'ill-formed' per §5.4 steps 3.3–3.6: the same identity
 * (category, type, xml:lang, name) twice, the same feature twice, or two forms of one FORM_TYPE.
 */
export function parseDiscoInfo(query: Element): CapsInfo | 'ill-formed' {
  const identities: CapsIdentity[] = [];
  const seenIds = new Set<string>();
  for (const i of children(query, 'identity')) {
    const id: CapsIdentity = { category: i.attrs.category ?? '', type: i.attrs.type ?? '' };
    if (i.attrs['xml:lang'] !== undefined) id.lang = i.attrs['xml:lang'];
    if (i.attrs.name !== undefined) id.name = i.attrs.name;
    const key = JSON.stringify([id.category, id.type, id.lang ?? '', id.name ?? '']);
    if (seenIds.has(key)) return 'ill-formed';
    seenIds.add(key);
    identities.push(id);
  }
  const features: string[] = [];
  const seenFeatures = new Set<string>();
  for (const f of children(query, 'feature')) {
    const v = f.attrs.var as string | undefined;
    if (v === undefined) continue;
    if (seenFeatures.has(v)) return 'ill-formed';
    seenFeatures.add(v);
    features.push(v);
  }
  const forms: CapsForm[] = [];
  const seenTypes = new Set<string>();
  for (const x of children(query, 'x', NS_DATA)) {
    const form = parseForm(x);
    if (form === 'ill-formed') return form;
    if (form === 'skip') continue;
    if (seenTypes.has(form.formType)) return 'ill-formed';
    seenTypes.add(form.formType);
    forms.push(form);
  }
  return { identities, features, forms };
}

/** §5.4 step 3.8–3.9: a well-formed answer whose hash is the advertised 'ver'. */
export function verifies(query: Element, hash: string, ver: string): CapsInfo | undefined {
  const info = parseDiscoInfo(query);
  if (info === 'ill-formed') return undefined;
  return capsVer(info, hash) === ver ? info : undefined;
}
