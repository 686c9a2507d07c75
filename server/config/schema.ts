/**
 * The configuration schema: every key typed, with its default and bounds. Objects are strict, so
 * an unknown (misspelt) key is an error that names it. `tern.example.yml` documents each key.
 *
 * Parsing also normalizes: domains and admin JIDs come out in their prepared (RFC 7622) form, and
 * the per-domain defaults (registration, MUC domain) are filled in, so `TernConfig` has no
 * "unset" values left for consumers to interpret. Relative paths are resolved by the loader,
 * which knows the config file's directory.
 */
import { isIPv6 } from 'node:net';
import { z } from 'zod';
import { Jid, prepareDomain } from '../core/jid.js';

export const MECHANISM_NAMES = ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'] as const;
export type MechanismName = (typeof MECHANISM_NAMES)[number];
export type RegistrationMode = 'open' | 'closed' | 'admin';

/** Registration is open by default only for local development domains. */
export function defaultRegistration(domain: string): 'open' | 'closed' {
  return domain === 'localhost' || domain.endsWith('.localhost') ? 'open' : 'closed';
}

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const port = int(0, 65535);

/**
 * A section whose children are all commented out is `null` in YAML; treating it as absent saves
 * the operator from a "must be a mapping" error for what is clearly meant as "all defaults".
 */
const nullAsAbsent = (v: unknown): unknown => (v === null ? undefined : v);
function section<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.preprocess(nullAsAbsent, z.strictObject(shape).prefault({} as z.input<z.ZodObject<S, z.core.$strict>>));
}

const domainName = z.string().transform((s, ctx) => {
  // Checked here because WHATWG domainToASCII (used by prepareDomain) silently cuts a domain at
  // '/', '?', '#' or '\' and decodes '%xx', which would serve (and name files after) another domain.
  const bracketed = /^\[(.*)\]$/.exec(s);
  if (bracketed ? !isIPv6(bracketed[1]!) : /[\s/?#\\%@:]/u.test(s)) {
    ctx.addIssue({ code: 'custom', message: 'must be a domain name, e.g. example.org', input: s });
    return z.NEVER;
  }
  try {
    return prepareDomain(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `must be a domain name: ${(err as Error).message}`, input: s });
    return z.NEVER;
  }
});

const bareJid = z.string().transform((s, ctx) => {
  // As for host domains: prepareDomain would cut or decode these instead of rejecting them.
  const jid = /[\s/?#\\%]/u.test(s.slice(s.indexOf('@') + 1)) ? undefined : Jid.tryParse(s);
  if (!jid || !jid.local || !jid.isBare) {
    ctx.addIssue({ code: 'custom', message: 'must be a bare JID (user@domain, no resource)', input: s });
    return z.NEVER;
  }
  return jid.bareString;
});

function isRegExp(p: string): boolean {
  try {
    // Same flags as the account service uses when it applies the pattern.
    new RegExp(p, 'u');
    return true;
  } catch {
    return false;
  }
}

const policy = (min: number, max: number, maxBound: number) => section({
  min_length: int(0, maxBound).default(min),
  max_length: int(1, maxBound).default(max),
  /** JavaScript regular expression (u flag) tested against the value; unanchored unless it uses ^…$. */
  pattern: z.string().nullable().default(null).refine((p) => p === null || isRegExp(p), 'must be a valid regular expression'),
}).superRefine((p, ctx) => {
  if (p.min_length > p.max_length) ctx.addIssue({ code: 'custom', path: ['min_length'], message: `must not exceed max_length (${p.max_length})`, input: p.min_length });
});

const hostSchema = z.strictObject({
  domain: domainName,
  /** XEP-0077: anyone may register, nobody in-band, or only this host's admins. Unset: by domain. */
  registration: z.enum(['open', 'closed', 'admin']).optional(),
  admins: z.preprocess(nullAsAbsent, z.array(bareJid).default([])),
  modules_disabled: z.preprocess(nullAsAbsent, z.array(z.string().min(1)).default([])),
  // Localparts are limited to 1023 octets (RFC 7622 §3.3.1), so a longer bound could never apply.
  username_policy: policy(1, 64, 1023),
  password_policy: policy(8, 1024, 65536),
  offline: section({
    /** Messages kept per user for their next login; beyond it senders get resource-constraint. */
    max_messages: int(0, 1_000_000).default(1000),
    /** Bytes of stored message text per user; beyond it senders get resource-constraint. */
    max_bytes: int(0, 1_073_741_824).default(10_485_760),
    /** Seconds a stored message is kept before it is dropped undelivered; 0 keeps it until delivered. */
    max_age_s: int(0, 315_360_000).default(2_592_000),
    /** Seconds between sweeps that delete expired stored messages (and send AMP expiry notices). */
    sweep_interval_s: int(1, 86_400).default(300),
  }),
  /** XEP-0357 push notifications: what a notification may tell the app server, and how often. */
  push: section({
    /** The body of the last message goes to the (third-party) app server only if the operator says so. */
    include_body: z.boolean().default(false),
    /** The bare JID of the last message's sender. */
    include_sender: z.boolean().default(true),
    /** At most one notification per registration in this many seconds; a burst becomes one with its count (0: none held back). */
    min_interval_s: int(0, 3600).default(5),
    /** Registrations kept per account; enabling one more drops the oldest. */
    max_registrations: int(1, 100).default(10),
  }),
  /** XEP-0352: what an inactive client's queue may hold before it is released anyway. */
  csi: section({
    max_held_stanzas: int(1, 10_000).default(200),
    max_held_bytes: int(1024, 16 * 1024 * 1024).default(256 * 1024),
  }),
  /** XEP-0054 vCards: larger ones are refused with not-acceptable (the text names the limit). */
  vcard: section({
    max_bytes: int(1024, 1_048_576).default(65_536),
  }),
  /** XEP-0055 user directory: only users who opted in are found; at most this many results per search. */
  search: section({
    max_results: int(1, 1000).default(50),
  }),
  /**
   * SASL ANONYMOUS (RFC 4505, XEP-0175 §3: never on by default): throwaway sessions on this host with
   * a random localpart, offered only over TLS, limited per address; their data goes at logout.
   */
  anonymous_login: section({
    enabled: z.boolean().default(false),
    /** Anonymous logins one remote address may make per window; beyond it temporary-auth-failure. */
    max_per_ip: int(1, 10_000).default(5),
    window_s: int(1, 86_400).default(600),
  }),
  /** Privacy rules and anonymous senders (the privacy module). */
  privacy: section({
    /** Seed PP-23: senders may hide their address from local recipients who accept it; a provider and legislation matter, so off by default. */
    anonymous_messages: z.boolean().default(false),
  }),
  /** XEP-0363 HTTP file upload: a service on its own domain (upload.<domain> unless set), files served by listeners.http_upload. */
  upload: section({
    enabled: z.boolean().default(true),
    domain: domainName.nullable().default(null),
    /** Largest file a slot is given for, in bytes; larger requests get not-acceptable with this size. */
    max_file_size: int(1, 1_099_511_627_776).default(104_857_600),
    /** Bytes of stored files (and open slots) per user; beyond it requests get resource-constraint (0: no quota). */
    quota_bytes: int(0, 1_099_511_627_776).default(1_073_741_824),
    /** Seconds an uploaded file is kept before it is deleted (0: kept until its owner is deleted). */
    max_age_s: int(0, 315_360_000).default(2_592_000),
    /** Seconds between sweeps that delete expired files. */
    sweep_interval_s: int(1, 86_400).default(3600),
    /** Seconds a slot's PUT URL stays usable. */
    slot_lifetime_s: int(1, 86_400).default(300),
    /** Slot requests per user per minute; beyond it requests get resource-constraint. */
    slots_per_minute: int(1, 10_000).default(30),
  }),
  /** XEP-0033 extended stanza addressing: the server as multicast service for its users. */
  multicast: section({
    enabled: z.boolean().default(true),
    /** Addresses one stanza may carry (the XEP asks for a limit between 20 and 100); beyond it not-acceptable. */
    max_addresses: int(1, 1000).default(50),
  }),
  /** SIP/SIMPLE interworking through CPIM (RFC 7247, RFC 7572): a gateway on sip.<domain> unless set; needs listeners.sip. */
  sip_gateway: section({
    enabled: z.boolean().default(false),
    domain: domainName.nullable().default(null),
    /** Where SIP MESSAGE requests go, as host:port (null: the SIP domain itself, port 5060). */
    outbound_proxy: z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+):[0-9]{1,5}$/, 'must be host:port').nullable().default(null),
    outbound_transport: z.enum(['udp', 'tcp']).default('udp'),
    /** SIP SUBSCRIBE/NOTIFY for Tern users' presence (RFC 7248 §4); each subscriber still needs the user's approval. */
    presence: z.boolean().default(true),
    /** Route SIP MESSAGEs for domains other than this host (other hosts, federation) instead of 404; off: no open relay into XMPP. */
    route_remote: z.boolean().default(false),
  }),
  /** The MUC service (XEP-0045); the domain defaults to conference.<domain>. */
  muc: section({
    enabled: z.boolean().default(true),
    domain: domainName.nullable().default(null),
    /** Occupants per room at most (the bound of muc#roomconfig_maxusers). */
    max_occupants: int(1, 100_000).default(200),
    /** Discussion history kept per room at most (the bound of muc#maxhistoryfetch). */
    max_history: int(0, 1000).default(50),
    /** A groupchat or private message larger than this (serialized, bytes) is refused with policy-violation. */
    max_message_bytes: int(256, 1024 * 1024).default(16 * 1024),
    /** Messages per second an occupant may send on average, and the burst above it (else resource-constraint). */
    message_rate: int(1, 10_000).default(5),
    message_burst: int(1, 100_000).default(20),
    /** false turns public chat off server-wide (seed 5.18): public rooms become unjoinable, none can be made public. */
    public_rooms: z.boolean().default(true),
  }),
  /** WSI Instant Inboxes (gateways/wsi, seed 5.16, Appendix B §7): accounts read and written over HTTPS (listeners.http_upload) by a web service. */
  wsi: section({
    /** Inbox accounts and the SHA-256 (hex) of each one's bearer token; messages to them are kept until acknowledged. */
    inboxes: z.preprocess(nullAsAbsent, z.array(z.strictObject({ username: z.string().min(1).max(1023), token_sha256: z.string().regex(/^[0-9a-f]{64}$/) })).max(1000).default([])),
    /** Requests per minute one inbox's consumer may make (else 429). */
    requests_per_minute: int(1, 100_000).default(120),
    /** Messages an inbox keeps unacknowledged (beyond: resource-constraint to the sender). */
    max_pending: int(1, 1_000_000).default(10_000),
    /** Bytes of one SendMessages request body. */
    max_request_bytes: int(1024, 16 * 1024 * 1024).default(1024 * 1024),
    /** Recipients of one SendMessages request, over all its messages. */
    max_recipients: int(1, 10_000).default(100),
    /** Longest long-poll wait (GetMessages ?wait=), seconds. */
    max_wait_s: int(0, 300).default(60),
    /** Non-text content larger than this many bytes goes through the upload service as an XEP-0066 URL (when it is on); smaller is inline. */
    inline_max_bytes: int(0, 16 * 1024 * 1024).default(8192),
  }),
  /** Phone numbers as addresses (gateways/msisdn): a jabber:iq:gateway service on msisdn.<domain> (unless set). */
  msisdn: section({
    enabled: z.boolean().default(true),
    domain: domainName.nullable().default(null),
    /** ISO 3166-1 region for numbers given in national format (e.g. GB); null: only +CC… numbers are accepted. */
    default_region: z.string().regex(/^[A-Z]{2}$/).nullable().default(null),
    /** Whether a number is discoverable until its owner says otherwise (seed 5.10 privacy: off by default). */
    discoverable_by_default: z.boolean().default(false),
    /** ENUM (RFC 6116) suffixes tried in order; [] turns ENUM off. */
    enum_suffixes: z.preprocess(nullAsAbsent, z.array(z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)*$/i)).max(10).default(['e164.arpa'])),
    /** DNS servers for ENUM (ip or ip:port); []: the system resolver. */
    enum_servers: z.preprocess(nullAsAbsent, z.array(z.string().min(1)).max(10).default([])),
    /** Number ranges (E.164 prefixes, +CC…) served by partner domains, asked through msisdn.<partner>. */
    prefixes: z.preprocess(nullAsAbsent, z.array(z.strictObject({ prefix: z.string().regex(/^\+[0-9]{1,15}$/), domain: domainName })).max(10_000).default([])),
    /** Domains whose servers may look numbers up here (others get forbidden). */
    allowed_peers: z.preprocess(nullAsAbsent, z.array(domainName).default([])),
    /** Lookups per minute from one peer domain, and from one local user. */
    peer_lookups_per_minute: int(1, 100_000).default(120),
    user_lookups_per_minute: int(1, 10_000).default(30),
    /** Seconds a resolution is cached (resolveNaptr gives no TTL), and a failed one. */
    cache_ttl_s: int(0, 86_400).default(3600),
    negative_cache_ttl_s: int(0, 3600).default(60),
    cache_max_entries: int(1, 1_000_000).default(10_000),
    /** Milliseconds a DNS query or a partner's gateway query may take. */
    lookup_timeout_ms: int(100, 60_000).default(5000),
  }),
}).transform((h) => ({
  ...h,
  registration: h.registration ?? defaultRegistration(h.domain),
  muc: { ...h.muc, domain: h.muc.domain ?? `conference.${h.domain}` },
  upload: { ...h.upload, domain: h.upload.domain ?? `upload.${h.domain}` },
  msisdn: { ...h.msisdn, domain: h.msisdn.domain ?? `msisdn.${h.domain}` },
  sip_gateway: { ...h.sip_gateway, domain: h.sip_gateway.domain ?? `sip.${h.domain}` },
}));

export const configSchema = z.strictObject({
  hosts: z.preprocess(nullAsAbsent, z.array(hostSchema).min(1).prefault([{ domain: 'localhost' }]))
    .superRefine((hosts, ctx) => {
      // Every served name (host, its MUC or upload service) must route to exactly one place.
      const seen = new Map<string, string>();
      hosts.forEach((h, i) => {
        const names: Array<[string, PropertyKey[]]> = [[h.domain, [i, 'domain']]];
        if (h.muc.enabled) names.push([h.muc.domain, [i, 'muc', 'domain']]);
        if (h.upload.enabled) names.push([h.upload.domain, [i, 'upload', 'domain']]);
        if (h.msisdn.enabled) names.push([h.msisdn.domain, [i, 'msisdn', 'domain']]);
        if (h.sip_gateway.enabled) names.push([h.sip_gateway.domain, [i, 'sip_gateway', 'domain']]);
        for (const [name, p] of names) {
          const prev = seen.get(name);
          if (prev !== undefined) ctx.addIssue({ code: 'custom', path: p, message: `${name} is already served (${prev})`, input: name });
          else seen.set(name, `hosts[${i}].${p.slice(1).join('.')}`);
        }
      });
    }),
  data_dir: z.string().min(1).default('./data'),
  listeners: section({
    c2s: section({
      host: z.string().min(1).default('0.0.0.0'),
      port: port.default(5222),
      /** required: nothing but STARTTLS before TLS; optional: TLS offered, SCRAM allowed without it. */
      starttls: z.enum(['required', 'optional']).default('required'),
      /** PLAIN and registration without TLS for connections from 127.0.0.0/8 and ::1 only (benchmarks). */
      allow_plaintext_on_loopback: z.boolean().default(false),
    }),
    c2s_direct_tls: section({
      enabled: z.boolean().default(true),
      host: z.string().min(1).default('0.0.0.0'),
      port: port.default(5223),
    }),
    /** HTTPS for XEP-0363 uploads and downloads, with the hosts' certificates (SNI picks by upload domain). */
    http_upload: section({
      enabled: z.boolean().default(true),
      host: z.string().min(1).default('0.0.0.0'),
      port: port.default(5443),
      /** Base of the URLs handed out (e.g. https://files.example.org behind a reverse proxy); unset: https://<upload domain>:<port>. */
      public_url: z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL').nullable().default(null),
    }),
    /** Server-to-server (RFC 6120, jabber:server) with STARTTLS. */
    s2s: section({
      enabled: z.boolean().default(true),
      host: z.string().min(1).default('0.0.0.0'),
      port: port.default(5269),
    }),
    /** External components (XEP-0114, jabber:component:accept); bind to loopback unless components run elsewhere. */
    component: section({
      enabled: z.boolean().default(true),
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(5347),
    }),
    /** SIP over UDP and TCP on one port, for the hosts' sip_gateway (RFC 3261 §18). */
    sip: section({
      enabled: z.boolean().default(false),
      host: z.string().min(1).default('0.0.0.0'),
      port: port.default(5060),
    }),
  }).superRefine((l, ctx) => {
    // Caught here rather than as EADDRINUSE at startup, with the key to change.
    if (l.c2s_direct_tls.enabled && l.c2s.port !== 0 && l.c2s.port === l.c2s_direct_tls.port) {
      ctx.addIssue({ code: 'custom', path: ['c2s_direct_tls', 'port'], message: 'must differ from listeners.c2s.port', input: l.c2s_direct_tls.port });
    }
    const used = [l.c2s.port, ...(l.c2s_direct_tls.enabled ? [l.c2s_direct_tls.port] : [])];
    if (l.http_upload.enabled && l.http_upload.port !== 0 && used.includes(l.http_upload.port)) {
      ctx.addIssue({ code: 'custom', path: ['http_upload', 'port'], message: 'must differ from the c2s ports', input: l.http_upload.port });
    }
  }),
  /** Federation (RFC 6120 server-to-server, XEP-0178, XEP-0220). */
  s2s: section({
    /** Extra CA certificates (PEM files) trusted for peers' certificates besides the system roots. */
    ca_files: z.preprocess(nullAsAbsent, z.array(z.string().min(1)).default([])),
    /**
     * For domains without their own entry: require_valid_cert (TLS with a certificate valid for the
     * domain, SASL EXTERNAL), allow_dialback (that when possible, else Server Dialback) or deny.
     */
    default_policy: z.enum(['require_valid_cert', 'allow_dialback', 'deny']).default('allow_dialback'),
    /** TLS on s2s streams: required (no stanzas without it) or optional (used when offered). */
    encryption: z.enum(['required', 'optional']).default('optional'),
    /** Per remote domain: its policy, and where to connect instead of DNS (private federation, tests). */
    domains: z.preprocess(nullAsAbsent, z.record(domainName, z.strictObject({
      policy: z.enum(['require_valid_cert', 'allow_dialback', 'deny']).optional(),
      host: z.string().min(1).optional(),
      port: int(1, 65535).optional(),
      /** XEP-0368: TLS from the first byte at host:port instead of STARTTLS. */
      direct_tls: z.boolean().optional(),
    }).refine((d) => d.port === undefined || d.host !== undefined, 'port needs host')).default({})),
    /** Seconds to set up an outgoing stream (connect, TLS, authentication) before queued stanzas bounce with remote-server-timeout. */
    connect_timeout_s: int(1, 600).default(30),
    /** Seconds without traffic before an s2s stream is closed (0: never). */
    idle_timeout_s: int(0, 86400).default(600),
    /** Stanzas queued per remote domain while its stream is being set up; beyond it they bounce. */
    max_queued: int(1, 1_000_000).default(10_000),
    /** Bytes per second read from each incoming s2s stream (with a one-second burst); 0: unlimited. */
    max_bytes_per_s: int(0, 1_073_741_824).default(1_048_576),
  }),
  /** External components (XEP-0114): each domain and its shared secret. */
  components: z.preprocess(nullAsAbsent, z.array(z.strictObject({
    domain: domainName,
    secret: z.string().min(8),
  })).default([]).refine((c) => new Set(c.map((x) => x.domain)).size === c.length, 'must not list a domain twice')),
  tls: section({
    min_version: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
    certs_dir: z.string().min(1).default('./certs'),
  }),
  limits: section({
    max_stanza_bytes: int(1024, 16 * 1024 * 1024).default(256 * 1024),
    max_depth: int(4, 1000).default(32),
    max_attributes: int(4, 1000).default(64),
    max_stream_header_bytes: int(512, 65536).default(8192),
    /** Seconds without any traffic before a stream is closed (0: never). */
    idle_timeout_s: int(0, 86400).default(600),
    /** Seconds a connection may take from connect to a bound resource. */
    auth_timeout_s: int(1, 3600).default(60),
    auth_failures: section({
      per_account: int(1, 1000).default(5),
      per_ip: int(1, 100000).default(20),
      window_s: int(1, 86400).default(300),
    }),
    max_connections_per_ip: int(1, 1_000_000).default(100),
  }),
  /** XEP-0198 stream management. */
  stream_management: section({
    /** Longest a session waits for its client to resume after the connection is lost (0: no resumption). */
    resume_timeout_s: int(0, 86400).default(300),
    /** Unacknowledged stanzas a hibernated session may hold (a connected one ten times as many); beyond it the session ends and its messages go to offline storage. */
    max_unacked: int(10, 100_000).default(1000),
    /** Seconds to wait for an answer to the server's <r/> before the connection counts as dead (0: wait forever). */
    ack_timeout_s: int(0, 3600).default(60),
  }),
  storage: section({
    /** Where every store lives unless `stores` says otherwise. */
    provider: z.enum(['embedded', 'mongodb']).default('embedded'),
    embedded: section({
      /** normal: durable across process crashes (WAL); full: also across power loss, slower. */
      synchronous: z.enum(['normal', 'full']).default('normal'),
    }),
    mongodb: section({
      /** Connection string (mongodb:// or mongodb+srv://), with credentials, replicaSet and other URL options. */
      url: z.string().nullable().default(null)
        .refine((u) => u === null || /^mongodb(\+srv)?:\/\/[^\s]+$/.test(u), 'must be a mongodb:// or mongodb+srv:// connection string'),
      database: z.string().min(1).max(63).regex(/^[^/\\. "$*<>:|?]+$/, 'must be a MongoDB database name (no / \\ . space " $ * < > : | ?)').default('tern'),
      /** 'majority' (default) or the number of members that must acknowledge a write. */
      write_concern: z.union([z.literal('majority'), int(0, 50)]).default('majority'),
      journal: z.boolean().default(true),
      /** Milliseconds a write waits for its write concern (0: no limit). */
      write_timeout_ms: int(0, 600_000).default(10_000),
      /** majority: never read what a failover could roll back; local: faster, may. */
      read_concern: z.enum(['majority', 'local']).default('majority'),
      server_selection_timeout_ms: int(100, 600_000).default(30_000),
      connect_timeout_ms: int(100, 600_000).default(10_000),
      tls: section({
        /** null: as the URL says (mongodb+srv implies TLS). */
        enabled: z.boolean().nullable().default(null),
        ca_file: z.string().min(1).nullable().default(null),
        /** PEM with the client certificate and its key (X.509 authentication). */
        certificate_key_file: z.string().min(1).nullable().default(null),
      }),
    }),
    /** Per-store provider, by store name (accounts, roster, offline, mam, mam_prefs, last, push, subscription_requests, ...). */
    stores: z.preprocess(nullAsAbsent, z.record(z.string().min(1), z.enum(['embedded', 'mongodb'])).default({})),
  }).superRefine((s, ctx) => {
    const uses = s.provider === 'mongodb' || Object.values(s.stores).includes('mongodb');
    if (uses && s.mongodb.url === null) ctx.addIssue({ code: 'custom', path: ['mongodb', 'url'], message: 'is required when a store uses mongodb', input: null });
  }),
  log: section({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    format: z.enum(['json', 'pretty']).default('json'),
  }),
  sasl: section({
    /** PBKDF2 iterations for newly stored SCRAM keys; existing keys keep theirs. */
    iterations: int(4096, 1_000_000).default(4096),
    /** Offered in this order, where the stream allows them (PLAIN only over TLS). */
    mechanisms: z.array(z.enum(MECHANISM_NAMES)).min(1).default([...MECHANISM_NAMES])
      .refine((m) => new Set(m).size === m.length, 'must not list a mechanism twice'),
    /** XEP-0388 SASL2 with XEP-0386 Bind 2, offered beside the RFC 6120 profile. */
    sasl2: z.boolean().default(true),
    /** XEP-0484 FAST token lifetime (0: no tokens); default 14 days. */
    fast_token_lifetime_s: int(0, 31_536_000).default(1_209_600),
  }),
});

export type TernConfig = z.infer<typeof configSchema>;
export type HostConfig = TernConfig['hosts'][number];
