/**
 * The vCard store with the avatar hash kept beside it, so that presence (XEP-0398 §4) never parses
 * a vCard: a small per-host cache of hashes answers the presence hook, the store the rest.
 */
import type { Element } from '@xmpp/xml';
import type { Disposable } from '../../core/events.js';
import type { KeyValueStore } from '../../../storage/types.js';
import { directoryFields, nicknameOf, parseStored, type Photo, photoOf, withPhoto } from './codec.js';
import type { ProfileService } from './service.js';

export interface VcardRecord { xml: string; sha1: string | null; updated: number }

const HASH_CACHE_MAX = 10_000;

export interface VcardsDeps {
  store: KeyValueStore<VcardRecord>;
  /** After a vCard is stored; `photo` is what it carries now. */
  stored?(username: string, vcard: Element, photo: Photo | undefined): Promise<void>;
}

export class Vcards {
  private readonly hashes = new Map<string, string | null | undefined>();
  private readonly listeners = new Set<(username: string, vcard: Element | undefined) => void>();

  constructor(private readonly d: VcardsDeps) {}

  async get(username: string): Promise<Element | undefined> {
    const rec = await this.d.store.get(username);
    return rec ? parseStored(rec.xml) : undefined;
  }

  /** Stores a validated vCard (photo already decoded by the caller). */
  async set(username: string, vcard: Element, photo: Photo | undefined, opts: { quiet?: boolean } = {}): Promise<void> {
    const sha1 = photo?.sha1 ?? null;
    await this.d.store.set(username, { xml: vcard.toString(), sha1, updated: Date.now() });
    this.remember(username, sha1);
    for (const fn of this.listeners) fn(username, vcard);
    if (!opts.quiet) await this.d.stored?.(username, vcard, photo);
  }

  forget(username: string): void {
    this.hashes.delete(username);
    for (const fn of this.listeners) fn(username, undefined);
  }

  /** '' when the vCard has no photo, undefined when there is no vCard. */
  async hash(username: string): Promise<string | null | undefined> {
    if (this.hashes.has(username)) return this.hashes.get(username);
    const rec = await this.d.store.get(username);
    const h = rec ? rec.sha1 : undefined;
    this.remember(username, h);
    return h;
  }

  private remember(username: string, h: string | null | undefined): void {
    this.hashes.delete(username);
    if (this.hashes.size >= HASH_CACHE_MAX) this.hashes.delete(this.hashes.keys().next().value!);
    this.hashes.set(username, h);
  }

  service(): ProfileService {
    return {
      vcard: (u) => this.get(u),
      nickname: async (u) => {
        const v = await this.get(u);
        return v ? nicknameOf(v) : undefined;
      },
      card: async (u) => {
        const v = await this.get(u);
        return v ? directoryFields(v) : { emails: [] };
      },
      photoHash: (u) => this.hash(u),
      setPhoto: async (u, photo) => {
        const current = (await this.get(u)) ?? parseStored('<vCard xmlns="vcard-temp"/>');
        const next = withPhoto(current, photo);
        await this.set(u, next, photoOf(next), { quiet: true });
      },
      onChange: (fn): Disposable => {
        this.listeners.add(fn);
        return { dispose: () => { this.listeners.delete(fn); } };
      },
    };
  }
}
