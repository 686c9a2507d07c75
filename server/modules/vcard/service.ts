/**
 * Services around vCards. `profile` is ours: what other modules may know of a user's public
 * profile (XEP-0172's registered nickname for MUC, directory fields for search, the avatar).
 * `pep` is the PEP module's (XEP-0163); we only use it, if present, for XEP-0398 §3.2.
 */
import type { Element } from '@xmpp/xml';
import type { Disposable } from '../../core/events.js';

export interface ProfileCard { fn?: string; first?: string; last?: string; nick?: string; emails: string[] }

export interface ProfileService {
  /** The stored vCard, or undefined if the user has none. */
  vcard(username: string): Promise<Element | undefined>;
  /** The directory fields of the vCard (FN, N/GIVEN, N/FAMILY, NICKNAME, every EMAIL); empty without one. */
  card(username: string): Promise<ProfileCard>;
  /** NICKNAME of the vCard: the user's registered nickname (XEP-0172 §4, MUC's default nick). */
  nickname(username: string): Promise<string | undefined>;
  /** SHA-1 of the avatar (hex); null: a vCard without photo; undefined: no vCard at all. */
  photoHash(username: string): Promise<string | null | undefined>;
  /**
   * XEP-0398 §3.1 (PEP → vCard): replaces the vCard's PHOTO (null removes it). Never publishes
   * back to PEP, so the PEP module may call it from its metadata-publish handler without a loop.
   */
  setPhoto(username: string, photo: { type: string; data: Buffer } | null): Promise<void>;
  /** Called after a user's vCard changed (undefined: removed). */
  onChange(fn: (username: string, vcard: Element | undefined) => void): Disposable;
}

declare module '../../core/module.js' {
  interface Services {
    profile: ProfileService;
  }
}
