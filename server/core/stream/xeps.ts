/**
 * XEPs the stream layer implements itself (modules declare theirs in defineModule). Together they
 * are the server's compliance list; README's table must agree (test/scenarios/compliance.test.ts).
 */
import type { XepInfo } from '../module.js';

export const STREAM_XEPS: readonly XepInfo[] = [
  { number: 198, version: '1.6.3', status: 'complete', note: 'c2s acks, resumption on either listener, hibernation; inline in SASL2/Bind 2' },
  { number: 368, version: '1.1.0', status: 'complete', note: 'direct TLS listener (server side)' },
  { number: 386, version: '1.0.0', status: 'partial', note: 'no MAM metadata in <bound/>' },
  { number: 388, version: '1.0.4', status: 'partial', note: 'no <continue> tasks or upgrades' },
  { number: 440, version: '1.0.0', status: 'complete' },
];
