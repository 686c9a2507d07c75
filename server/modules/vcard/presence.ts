/**
 * The avatar hash in the user's available presence, XEP-0398 §4 (the server side of XEP-0153 §4.1):
 * no <x xmlns='vcard-temp:x:update'/> → added; an <x/> without <photo/> → overwritten; an empty
 * <photo/> (the client says "no avatar") → left alone; a different hash → overwritten (the MAY),
 * since the stored vCard is what others will download, unless the vCard has no photo at all. Directed presence gets the same (MUC joins).
 * Returns a new stanza, or undefined when nothing changes.
 */
import { type Element, xml } from '../../core/stanza.js';
import { NS_VCARD_UPDATE } from './codec.js';

/** `hash`: the photo's SHA-1, or '' when the user's vCard has no photo. */
export function withPhotoHash(stanza: Element, hash: string): Element | undefined {
  if (stanza.name !== 'presence' || stanza.attrs.type !== undefined) return undefined;
  const x = stanza.getChild('x', NS_VCARD_UPDATE);
  const photo = x?.getChild('photo');
  if (photo) {
    const current = photo.text().trim();
    if (current === '' || current.toLowerCase() === hash || hash === '') return undefined;
  }
  const copy = xml('presence', { ...stanza.attrs });
  for (const c of stanza.children) if (c !== x) copy.children.push(c);
  copy.append(xml('x', { xmlns: NS_VCARD_UPDATE }, hash ? xml('photo', {}, hash) : xml('photo')));
  return copy;
}
