/**
 * The configuration schema: every key typed, with its default and bounds. Objects are strict, so
 * an unknown (misspelt) key is an error that names it. `tern.example.yml` documents each key.
 */
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const policy = (min: number, max: number) => z.strictObject({
  min_length: z.number().int().min(0).max(1023).default(min),
  max_length: z.number().int().min(1).max(1023).default(max),
  /** A JavaScript regular expression the whole value must match, or null. */
  pattern: z.string().nullable().default(null).refine((p) => p === null || isRegExp(p), 'must be a valid regular expression'),
}).refine((p) => p.min_length <= p.max_length, 'min_length must not exceed max_length');

function isRegExp(p: string): boolean {
  try {
    new RegExp(p, 'u');
    return true;
  } catch {
    return false;
  }
}

export const MECHANISM_NAMES = ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'] as const;

const hostSchema = z.strictObject({
  domain: z.string().min(1).max(1023),
  /** XEP-0077: open to anyone, closed, or only admins may create accounts. Default: open on localhost, closed elsewhere. */
  registration: z.enum(['open', 'closed', 'admin']).optional(),
  admins: z.array(z.string().min(3)).default([]),
  modules_disabled: z.array(z.string()).default([]),
  username_policy: policy(1, 64).prefault({}),
  password_policy: policy(8, 1023).prefault({}),
  offline: z.strictObject({
    /** Messages kept per user for when they next log in; more → resource-constraint. */
    max_messages: z.number().int().min(0).max(1_000_000).default(1000),
  }).prefault({}),
});

export const configSchema = z.strictObject({
  hosts: z.array(hostSchema).min(1).default([{ domain: 'localhost', admins: [], modules_disabled: [], username_policy: { min_length: 1, max_length: 64, pattern: null }, password_policy: { min_length: 8, max_length: 1023, pattern: null }, offline: { max_messages: 1000 } }])
    .refine((hs) => new Set(hs.map((h) => h.domain.toLowerCase())).size === hs.length, 'each domain may appear once'),
  data_dir: z.string().min(1).default('./data'),
  listeners: z.strictObject({
    c2s: z.strictObject({
      host: z.string().min(1).default('0.0.0.0'),
      port: port.default(5222),
      /** required: no authentication before TLS; optional: TLS offered, SCRAM allowed without it. */
      starttls: z.enum(['required', 'optional']).default('required'),
      /** PLAIN and registration without TLS for connections from 127.0.0.0/8 and ::1 only (benchmarks). */
      allow_plaintext_on_loopback: z.boolean().default(false),
    }).prefault({}),
    c2s_direct_tls: z.strictObject({
      enabled: z.boolean().default(true),
      host: z.string().min(1).default('0.0.0.0'),
      port: port.default(5223),
    }).prefault({}),
  }).prefault({}),
  tls: z.strictObject({
    min_version: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
    certs_dir: z.string().min(1).default('./certs'),
  }).prefault({}),
  limits: z.strictObject({
    max_stanza_bytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(256 * 1024),
    max_depth: z.number().int().min(4).max(1000).default(32),
    max_attributes: z.number().int().min(4).max(1000).default(64),
    max_stream_header_bytes: z.number().int().min(512).max(65536).default(8192),
    /** Seconds without any traffic before a stream is closed (0: never). */
    idle_timeout_s: z.number().int().min(0).max(86400).default(600),
    /** Seconds a connection may take from connect to a bound resource. */
    auth_timeout_s: z.number().int().min(1).max(3600).default(60),
    auth_failures: z.strictObject({
      per_account: z.number().int().min(1).max(1000).default(5),
      per_ip: z.number().int().min(1).max(100000).default(20),
      window_s: z.number().int().min(1).max(86400).default(300),
    }).prefault({}),
    max_connections_per_ip: z.number().int().min(1).max(1_000_000).default(100),
  }).prefault({}),
  storage: z.strictObject({
    provider: z.enum(['embedded']).default('embedded'),
    embedded: z.strictObject({
      /** normal: durable across process crashes (WAL); full: also across power loss, slower. */
      synchronous: z.enum(['normal', 'full']).default('normal'),
    }).prefault({}),
  }).prefault({}),
  log: z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    format: z.enum(['json', 'pretty']).default('json'),
  }).prefault({}),
  sasl: z.strictObject({
    /** PBKDF2 iterations for newly stored SCRAM keys. */
    iterations: z.number().int().min(4096).max(1_000_000).default(4096),
    /** Offered in this order, where the stream allows them (PLAIN only over TLS). */
    mechanisms: z.array(z.enum(MECHANISM_NAMES)).min(1).default([...MECHANISM_NAMES]),
  }).prefault({}),
});

type Parsed = z.infer<typeof configSchema>;
export type HostConfig = Parsed['hosts'][number] & { registration: 'open' | 'closed' | 'admin' };
export type TernConfig = Omit<Parsed, 'hosts'> & { hosts: HostConfig[] };

/** Registration is open by default only for local development domains. */
export function defaultRegistration(domain: string): 'open' | 'closed' {
  return domain === 'localhost' || domain.endsWith('.localhost') ? 'open' : 'closed';
}
