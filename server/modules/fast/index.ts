/**
 * XEP-0484 Fast Authentication Streamlining Tokens: the token store behind the HT mechanisms
 * (core/sasl/ht.ts) that the SASL2 stream (core/stream/sasl2.ts) offers inline. §3.3 issue on
 * <request-token/>, §3.5 rotation with overlap, §3.6 invalidation; tokens expire after
 * sasl.fast_token_lifetime_s and are gone when the password changes or the account is removed.
 * No TLS 0-RTT (so no 'count' replay window is needed).
 */
import { defineModule, map } from '../../core/module.js';
import type {} from '../../core/fast.js';
import { type ClientTokens, createTokens } from './tokens.js';

export default defineModule({
  name: 'fast',
  xeps: [{ number: 484, version: '0.1.0', status: 'complete', note: 'HT-SHA-256-NONE, -ENDP and -EXPR; no TLS 0-RTT' }],
  rfcs: ['draft-schmaus-kitten-sasl-ht-08 (Hashed Token SASL mechanisms)'],
  stores: { tokens: map<ClientTokens>('fast_tokens') },
  options: (_host, config) => ({ lifetimeMs: config.sasl.fast_token_lifetime_s * 1000 }),
  setup(ctx) {
    if (ctx.options.lifetimeMs === 0) return;
    const tokens = createTokens({ store: ctx.stores.tokens, lifetimeMs: ctx.options.lifetimeMs });
    ctx.provide('fast', tokens);
    ctx.hook('user/password-changed', ({ username }) => tokens.purge(username));
    ctx.hook('user/deleting', ({ username }) => tokens.purge(username));
  },
});
