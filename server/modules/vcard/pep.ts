/**
 * XEP-0398 §3.2 (vCard → PEP): a vCard with a photo is published as XEP-0084 avatar data (item id
 * = SHA-1 of the image) and then metadata with one <info/> taking its type from the vCard. A vCard
 * without a photo publishes empty metadata (XEP-0084 §4.6, avatar disabled) — only if the user had
 * one, so that a plain vCard update does not touch PEP.
 */
import { xml } from '../../core/stanza.js';
import type { Photo } from './codec.js';
import type { PepService } from './service.js';

export const NS_AVATAR_DATA = 'urn:xmpp:avatar:data';
export const NS_AVATAR_METADATA = 'urn:xmpp:avatar:metadata';
export const NS_PEP_VCARD_CONVERSION = 'urn:xmpp:pep-vcard-conversion:0';

export async function publishAvatar(pep: PepService, username: string, photo: Photo | undefined, hadPhoto: boolean): Promise<void> {
  if (!photo) {
    if (hadPhoto) await pep.publish(username, NS_AVATAR_METADATA, 'current', xml('metadata', { xmlns: NS_AVATAR_METADATA }));
    return;
  }
  await pep.publish(username, NS_AVATAR_DATA, photo.sha1, xml('data', { xmlns: NS_AVATAR_DATA }, photo.data.toString('base64')));
  await pep.publish(username, NS_AVATAR_METADATA, photo.sha1, xml('metadata', { xmlns: NS_AVATAR_METADATA },
    xml('info', { bytes: String(photo.data.length), id: photo.sha1, type: photo.type })));
}
