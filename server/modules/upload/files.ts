/**
 * Uploaded files: bytes under data_dir/upload/<host>/<id> (named by the random id only, so no
 * client-chosen name ever reaches the file system), metadata in the module's map store keyed by
 * owner and id, and an in-memory index id → owner for downloads. Expired files go in sweeps.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MapStore } from '../../../storage/types.js';
import type { FileRecord } from './slots.js';

export const ID_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

export class FileStore {
  private readonly owners = new Map<string, string>();

  constructor(readonly dir: string, private readonly records: MapStore<FileRecord>) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  async load(): Promise<void> {
    for await (const user of this.records.users()) {
      for (const id of (await this.records.all(user)).keys()) this.owners.set(id, user);
    }
  }

  pathOf(id: string): string {
    if (!ID_PATTERN.test(id)) throw new Error('bad file id');
    return path.join(this.dir, id);
  }

  async get(id: string): Promise<FileRecord | undefined> {
    const owner = this.owners.get(id);
    return owner === undefined ? undefined : this.records.get(owner, id);
  }

  /** Bytes the user's stored files take. */
  async usage(owner: string): Promise<{ bytes: number; oldest?: number }> {
    let bytes = 0;
    let oldest: number | undefined;
    for (const r of (await this.records.all(owner)).values()) {
      bytes += r.size;
      if (oldest === undefined || r.created < oldest) oldest = r.created;
    }
    return oldest === undefined ? { bytes } : { bytes, oldest };
  }

  /**
   * Writes the body to a temporary file, counting bytes; resolves with the count, or rejects when
   * the body exceeds `limit` (the partial file is removed).
   */
  async receive(id: string, body: Readable, limit: number): Promise<number> {
    const final = this.pathOf(id);
    const tmp = `${final}.part`;
    let n = 0;
    let over = false;
    const counted = async function* (src: Readable) {
      for await (const chunk of src) {
        n += (chunk as Buffer).length;
        if (n > limit) {
          over = true;
          throw new Error('body larger than the slot');
        }
        yield chunk as Buffer;
      }
    };
    try {
      await pipeline(body, counted, createWriteStream(tmp, { mode: 0o600, flags: 'wx' }));
    } catch (err) {
      await rm(tmp, { force: true });
      if (over) return n;
      throw err;
    }
    if (n !== limit) {
      await rm(tmp, { force: true });
      return n;
    }
    await rename(tmp, final);
    return n;
  }

  async commit(id: string, record: FileRecord): Promise<void> {
    await this.records.set(record.owner, id, record);
    this.owners.set(id, record.owner);
  }

  async remove(id: string): Promise<void> {
    const owner = this.owners.get(id);
    this.owners.delete(id);
    if (owner !== undefined) await this.records.set(owner, id, undefined);
    await rm(this.pathOf(id), { force: true });
  }

  async removeUser(owner: string): Promise<void> {
    for (const id of (await this.records.all(owner)).keys()) await this.remove(id);
  }

  /** Deletes files created before `cutoff`; returns how many. */
  async sweep(cutoff: number): Promise<number> {
    const users: string[] = [];
    for await (const user of this.records.users()) users.push(user);
    let n = 0;
    for (const user of users) {
      for (const [id, r] of await this.records.all(user)) {
        if (r.created < cutoff) {
          await this.remove(id);
          n++;
        }
      }
    }
    return n;
  }

  async exists(id: string): Promise<boolean> {
    return stat(this.pathOf(id)).then(() => true, () => false);
  }
}
