/**
 * For tests that drive the real core (router, host, modules) inside the test process: the real
 * embedded storage in a temporary directory, and sessions that record what the server sends them
 * instead of writing it to a socket. Protocol behaviour over real sockets is tested separately
 * with real clients; this is for what is awkward to reach from outside (a disk that fails).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Element } from '@xmpp/xml';
import pino from 'pino';
import { openEmbeddedStorage } from '../../storage/embedded/provider.js';
import type { MapStore, StorageProvider } from '../../storage/types.js';
import type { Jid } from '../../server/core/jid.js';
import type { Session } from '../../server/core/sessions.js';

export interface TempStorage {
  storage: StorageProvider;
  /** While true, every map write fails as a full disk would. */
  failWrites: { on: boolean };
  cleanup(): Promise<void>;
}

export function openTempStorage(): TempStorage {
  const dir = mkdtempSync(path.join(tmpdir(), 'tern-inproc-'));
  const real = openEmbeddedStorage({ dir });
  const failWrites = { on: false };
  const guard = () => { if (failWrites.on) throw new Error('disk full'); };
  const storage: StorageProvider = {
    name: real.name,
    keyval: (h, s) => real.keyval(h, s),
    archive: (h, s) => real.archive(h, s),
    purgeUser: (h, u) => real.purgeUser(h, u),
    close: () => real.close(),
    map: <T>(h: string, s: string): MapStore<T> => {
      const m = real.map<T>(h, s);
      return {
        ...m,
        get: (u, k) => m.get(u, k),
        all: (u) => m.all(u),
        users: () => m.users(),
        set: async (u, k, v) => { guard(); return m.set(u, k, v); },
        setMany: async (u, e) => { guard(); return m.setMany(u, e); },
        deleteUser: async (u) => { guard(); return m.deleteUser(u); },
      };
    },
  };
  return { storage, failWrites, cleanup: async () => { await real.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/** A bound session inside the test process; what the server sends it lands in `got`. */
export class RecordingSession implements Session {
  readonly id = Math.random().toString(36).slice(2);
  readonly host = 'localhost';
  readonly remoteAddress = '127.0.0.1';
  readonly secure = true;
  readonly log = pino({ level: 'silent' });
  readonly state = new Map<symbol, unknown>();
  readonly got: Element[] = [];
  available = false;
  priority = 0;
  presence?: Element;
  rosterInterested = false;
  anonymous = false;
  closed = false;
  hibernated = false;
  outboundFilter?: (stanza: Element) => boolean;
  constructor(readonly jid: Jid, readonly username: string) {}
  send(el: Element): void { if (!this.outboundFilter?.(el)) this.sendDirect(el); }
  sendDirect(el: Element): void { if (!this.closed) this.got.push(el); }
  close(): void { this.closed = true; }
  /** Removes and returns the first stanza that matches. */
  take(pred: (el: Element) => boolean, what: string): Element {
    const i = this.got.findIndex(pred);
    assert.ok(i >= 0, `${this.jid}: expected ${what}; got:\n${this.got.map(String).join('\n') || '(nothing)'}`);
    return this.got.splice(i, 1)[0]!;
  }
  none(pred: (el: Element) => boolean, what: string): void {
    const hit = this.got.find(pred);
    assert.equal(hit, undefined, `${this.jid}: unexpected ${what}: ${hit}`);
  }
}
