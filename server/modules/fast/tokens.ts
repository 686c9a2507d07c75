/**
 * FAST token store (XEP-0484 §3.3-§3.6): per account, one record per client (its SASL2
 * <user-agent id/>, stored digested so the key is bounded), holding at most two tokens: the one in
 * use and, after a rotation, the new one. Only SHA-256(token) is kept (see core/sasl/ht.ts).
 * Every change for one client runs through one queue, so two logins at once cannot lose an update.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { MapStore } from '../../../storage/types.js';
import type { FastCandidate, FastService, IssuedToken } from '../../core/fast.js';
import { type FastMechanismName, HMAC_BLOCK, tokenKey } from '../../core/sasl/ht.js';
import { KeyedSerial } from '../../core/serial.js';

export interface StoredToken { id: string; key: string; mechanism: FastMechanismName; issued: number; expiry: number }
export interface ClientTokens { tokens: StoredToken[] }

export interface TokenDeps {
  store: MapStore<ClientTokens>;
  lifetimeMs: number;
  now?: () => number;
}

/** 72 random bytes: 96 base64url characters, above the HMAC block size as ht.ts requires. */
const TOKEN_BYTES = 72;

const clientKey = (client: string): string => createHash('sha256').update(client, 'utf8').digest('base64url');

export function createTokens(d: TokenDeps): FastService & { purge(username: string): Promise<void> } {
  const now = d.now ?? Date.now;
  const serial = new KeyedSerial();
  const live = (r: ClientTokens | undefined): StoredToken[] => (r?.tokens ?? []).filter((t) => t.expiry > now());
  const change = <T>(username: string, client: string, fn: (tokens: StoredToken[]) => { tokens: StoredToken[]; result: T }) => {
    const key = clientKey(client);
    return serial.run(`${username}\0${key}`, async () => {
      const { tokens, result } = fn(live(await d.store.get(username, key)));
      await d.store.set(username, key, tokens.length ? { tokens } : undefined);
      return result;
    });
  };

  return {
    async candidates(username, client, mechanism): Promise<FastCandidate[]> {
      const tokens = live(await d.store.get(username, clientKey(client)));
      // §3.4: a token is bound to the mechanism it was requested for.
      return tokens.filter((t) => t.mechanism === mechanism).map((t) => ({ id: t.id, key: Buffer.from(t.key, 'base64') }));
    },

    used(username, client, id, { invalidate }) {
      return change(username, client, (tokens) => {
        const current = tokens.find((t) => t.id === id);
        if (!current) return { tokens, result: { rotate: false } };
        // §3.5: using a token invalidates every earlier one of the same client.
        let kept = tokens.filter((t) => t.expiry >= current.expiry);
        if (invalidate) kept = kept.filter((t) => t.id !== id);
        const newer = kept.some((t) => t.id !== id && t.issued > current.issued);
        // Rotated once half its life is gone, unless a newer one is already on its way.
        const rotate = !invalidate && !newer && now() - current.issued > d.lifetimeMs / 2;
        return { tokens: kept, result: { rotate } };
      });
    },

    issue(username, client, mechanism, keep): Promise<IssuedToken> {
      return change(username, client, (tokens) => {
        const token = randomBytes(TOKEN_BYTES).toString('base64url');
        if (token.length <= HMAC_BLOCK) throw new Error('FAST token too short for hashed storage');
        const at = now();
        const fresh: StoredToken = {
          id: randomBytes(9).toString('base64url'), key: tokenKey(token).toString('base64'), mechanism, issued: at, expiry: at + d.lifetimeMs,
        };
        // §3.5: the token in use stays valid until the new one is used; other unused ones go.
        const kept = tokens.filter((t) => t.id === keep);
        return { tokens: [...kept, fresh], result: { token, expiry: new Date(fresh.expiry) } };
      });
    },

    purge: (username) => d.store.deleteUser(username),
  };
}
