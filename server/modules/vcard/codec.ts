/**
 * vCard-XML as XEP-0054 stores it: the stored form is the client's <vCard/> as it was sent, so every
 * property (several TEL, EMAIL, URL for PP2-22's alternative contact information) comes back
 * intact. What the server reads from it: PHOTO (XEP-0153 §4 XML syntax: TYPE + BINVAL, base64 with
 * whitespace ignored), NICKNAME (XEP-0172's registered nickname) and the directory fields.
 */
import { createHash } from 'node:crypto';
import { Parser } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { childElements, type Element, xml } from '../../core/stanza.js';

export const NS_VCARD = 'vcard-temp';
export const NS_VCARD_UPDATE = 'vcard-temp:x:update';

export interface Photo { type: string; data: Buffer; sha1: string }

export interface DirectoryFields { fn?: string; first?: string; last?: string; nick?: string; emails: string[] }

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes BINVAL; whitespace is ignored (XEP-0153 §4.5), anything else that is not base64 is a bad request. */
export function decodeBinval(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 4 === 1 || !BASE64.test(clean)) throw new StanzaError('bad-request', 'PHOTO/BINVAL is not base64');
  return Buffer.from(clean, 'base64');
}

export const sha1Hex = (data: Buffer): string => createHash('sha1').update(data).digest('hex');

/** The photo a vCard carries: undefined for none (no PHOTO, an empty BINVAL, or only an EXTVAL). */
export function photoOf(vcard: Element): Photo | undefined {
  const p = vcard.getChild('PHOTO');
  if (!p) return undefined;
  const bin = p.getChildText('BINVAL');
  if (bin === null) return undefined;
  const data = decodeBinval(bin);
  if (data.length === 0) return undefined;
  return { type: (p.getChildText('TYPE') ?? '').trim() || 'image/png', data, sha1: sha1Hex(data) };
}

const text = (el: Element | undefined): string | undefined => {
  const t = el?.text().trim();
  return t ? t : undefined;
};

/** NICKNAME; the DTD allows a comma-separated list, the first one is the nickname. */
export function nicknameOf(vcard: Element): string | undefined {
  return text(vcard.getChild('NICKNAME'))?.split(',')[0]!.trim() || undefined;
}

export function directoryFields(vcard: Element): DirectoryFields {
  const n = vcard.getChild('N');
  const emails: string[] = [];
  for (const e of vcard.getChildren('EMAIL')) {
    // USERID is the standard place (XEP-0054 §5); some clients put the address as character data.
    const v = text(e.getChild('USERID')) ?? (childElements(e).length === 0 ? text(e) : undefined);
    if (v) emails.push(v);
  }
  return { fn: text(vcard.getChild('FN')), first: text(n?.getChild('GIVEN')), last: text(n?.getChild('FAMILY')), nick: nicknameOf(vcard), emails };
}

/** Checks a vCard to be stored: the right element, a decodable photo. Returns the photo. */
export function validate(vcard: Element): Photo | undefined {
  if (vcard.name !== 'vCard' || vcard.attrs.xmlns !== NS_VCARD) throw new StanzaError('bad-request', 'expected <vCard xmlns="vcard-temp"/>');
  return photoOf(vcard);
}

/** The stored string form back as an element. */
export function parseStored(s: string): Element {
  const p = new Parser();
  let out: Element | undefined;
  p.on('element', (el: Element) => { out = el; });
  p.on('start', () => {});
  // Wrapped so that the stored vCard is a child stanza of a pseudo stream.
  p.write(`<s>${s}</s>`);
  if (!out) throw new Error('stored vCard does not parse');
  return out;
}

export const emptyVcard = (): Element => xml('vCard', { xmlns: NS_VCARD });

/** The vCard with its PHOTO replaced (or removed when `photo` is null), for XEP-0398's PEP → vCard direction. */
export function withPhoto(vcard: Element, photo: { type: string; data: Buffer } | null): Element {
  const out = xml('vCard', { ...vcard.attrs });
  for (const c of vcard.children) if (typeof c === 'string' || c.name !== 'PHOTO') out.children.push(c);
  if (photo) out.append(xml('PHOTO', {}, xml('TYPE', {}, photo.type), xml('BINVAL', {}, photo.data.toString('base64'))));
  return out;
}
