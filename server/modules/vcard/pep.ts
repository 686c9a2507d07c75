/**
 * XEP-0398 both ways, through the `pep` service when the PEP module is loaded:
 * §3.2 (vCard → PEP): a vCard with a photo is published as XEP-0084 avatar data (item id = SHA-1
 * of the image) and then metadata with one <info/> taking its type from the vCard. A vCard
 * without a photo publishes empty metadata (XEP-0084 §4.6, avatar disabled) — only if the user had
 * one, so that a plain vCard update does not touch PEP.
 * §3.1 (PEP → vCard): a client's metadata publish puts the image it names into the vCard PHOTO;
 * empty metadata removes it. Our own publishes carry origin 'vcard' and are not converted back.
 */
import type { Element } from '@xmpp/xml';
import type { Services } from '../../core/module.js';
import { xml } from '../../core/stanza.js';
import type { Photo } from './codec.js';
import type { ProfileService } from './service.js';

type PepService = Services['pep'];
const ORIGIN = { module: 'vcard' };

export const NS_AVATAR_DATA = 'urn:xmpp:avatar:data';
export const NS_AVATAR_METADATA = 'urn:xmpp:avatar:metadata';
export const NS_PEP_VCARD_CONVERSION = 'urn:xmpp:pep-vcard-conversion:0';

export async function publishAvatar(pep: PepService, username: string, photo: Photo | undefined, hadPhoto: boolean): Promise<void> {
  if (!photo) {
    if (hadPhoto) await pep.publish(username, NS_AVATAR_METADATA, xml('metadata', { xmlns: NS_AVATAR_METADATA }), { id: 'current', origin: ORIGIN });
    return;
  }
  await pep.publish(username, NS_AVATAR_DATA, xml('data', { xmlns: NS_AVATAR_DATA }, photo.data.toString('base64')), { id: photo.sha1, origin: ORIGIN });
  await pep.publish(username, NS_AVATAR_METADATA, xml('metadata', { xmlns: NS_AVATAR_METADATA },
    xml('info', { bytes: String(photo.data.length), id: photo.sha1, type: photo.type })), { id: photo.sha1, origin: ORIGIN });
}

/** §3.1: the vCard follows a client's avatar metadata publish. */
export async function avatarToVcard(pep: PepService, profile: ProfileService, username: string, metadata: Element): Promise<void> {
  const info = metadata.getChildren('info').find((i) => !i.attrs.url) ?? metadata.getChild('info');
  if (!info) return profile.setPhoto(username, null);
  const id = info.attrs.id as string | undefined;
  if (!id) return;
  const data = (await pep.items(username, NS_AVATAR_DATA, { ids: [id] }))?.[0]?.payload.getText();
  if (!data) return;
  await profile.setPhoto(username, { type: String(info.attrs.type ?? 'image/png'), data: Buffer.from(data, 'base64') });
}

export function isOwnChange(origin: { module?: string }): boolean {
  return origin.module === ORIGIN.module;
}
