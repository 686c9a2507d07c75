import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServerError } from '../core/errors.js';
import { loadConfig } from './load.js';
import { configSchema, type TernConfig } from './schema.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLE = path.join(ROOT, 'tern.example.yml');

describe('config', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'tern-config-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (text: string, name = 'tern.yml') => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  /** The message of the config error `fn` throws, without the code prefix. */
  const failure = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof ServerError, String(err));
      assert.equal(err.code, 'TERN_ERR_CONFIG');
      return err.message.replace(/^TERN_ERR_CONFIG: /, '');
    }
    assert.fail('no error');
  };
  const inDir = <T>(cwd: string, fn: () => T): T => {
    const before = process.cwd();
    process.chdir(cwd);
    try {
      return fn();
    } finally {
      process.chdir(before);
    }
  };

  /** No file: run where there is no tern.yml, so a developer's own cannot leak in. */
  const defaultsWith = (overrides: unknown) => inDir(dir, () => loadConfig(undefined, overrides)).config;

  describe('defaults', () => {
    it('with no file serves localhost with every default, paths relative to the working directory', () => {
      const { config, source } = inDir(dir, () => loadConfig());
      assert.equal(source, null);
      const expected: TernConfig = {
        hosts: [{
          domain: 'localhost',
          registration: 'open',
          admins: [],
          modules_disabled: [],
          username_policy: { min_length: 1, max_length: 64, pattern: null },
          password_policy: { min_length: 8, max_length: 1024, pattern: null },
          offline: { max_messages: 1000, max_bytes: 10_485_760, max_age_s: 2_592_000, sweep_interval_s: 300 },
          push: { include_body: false, include_sender: true, min_interval_s: 5, max_registrations: 10 },
          csi: { max_held_stanzas: 200, max_held_bytes: 262144 },
          vcard: { max_bytes: 65_536 },
          search: { max_results: 50 },
          anonymous_login: { enabled: false, max_per_ip: 5, window_s: 600 },
          privacy: { anonymous_messages: false },
          upload: {
            enabled: true, domain: 'upload.localhost', max_file_size: 104_857_600, quota_bytes: 1_073_741_824,
            max_age_s: 2_592_000, sweep_interval_s: 3600, slot_lifetime_s: 300, slots_per_minute: 30,
          },
          multicast: { enabled: true, max_addresses: 50 },
          muc: { enabled: true, domain: 'conference.localhost', max_occupants: 200, max_history: 50, max_message_bytes: 16384, message_rate: 5, message_burst: 20, public_rooms: true },
          msisdn: {
            enabled: true, domain: 'msisdn.localhost', default_region: null, discoverable_by_default: false,
            enum_suffixes: ['e164.arpa'], enum_servers: [], prefixes: [], allowed_peers: [],
            peer_lookups_per_minute: 120, user_lookups_per_minute: 30, cache_ttl_s: 3600, negative_cache_ttl_s: 60,
            cache_max_entries: 10_000, lookup_timeout_ms: 5000,
          },
          sip_gateway: { enabled: false, domain: 'sip.localhost', outbound_proxy: null, outbound_transport: 'udp', presence: true, route_remote: false },
          wsi: { inboxes: [], requests_per_minute: 120, max_pending: 10_000, max_request_bytes: 1024 * 1024, max_recipients: 100, max_wait_s: 60, inline_max_bytes: 8192 },
        }],
        data_dir: path.join(dir, 'data'),
        listeners: {
          c2s: { host: '0.0.0.0', port: 5222, starttls: 'required', allow_plaintext_on_loopback: false },
          c2s_direct_tls: { enabled: true, host: '0.0.0.0', port: 5223 },
          http_upload: { enabled: true, host: '0.0.0.0', port: 5443, public_url: null },
          s2s: { enabled: true, host: '0.0.0.0', port: 5269 },
          component: { enabled: true, host: '127.0.0.1', port: 5347 },
          sip: { enabled: false, host: '0.0.0.0', port: 5060 },
        },
        s2s: {
          ca_files: [], default_policy: 'allow_dialback', encryption: 'optional', domains: {},
          connect_timeout_s: 30, idle_timeout_s: 600, max_queued: 10_000, max_bytes_per_s: 1_048_576,
        },
        components: [],
        tls: { min_version: 'TLSv1.2', certs_dir: path.join(dir, 'certs') },
        limits: {
          max_stanza_bytes: 262144,
          max_depth: 32,
          max_attributes: 64,
          max_stream_header_bytes: 8192,
          idle_timeout_s: 600,
          auth_timeout_s: 60,
          auth_failures: { per_account: 5, per_ip: 20, window_s: 300 },
          max_connections_per_ip: 100,
        },
        stream_management: { resume_timeout_s: 300, max_unacked: 1000, ack_timeout_s: 60 },
        storage: {
          provider: 'embedded',
          embedded: { synchronous: 'normal' },
          mongodb: {
            url: null, database: 'tern', write_concern: 'majority', journal: true, write_timeout_ms: 10_000,
            read_concern: 'majority', server_selection_timeout_ms: 30_000, connect_timeout_ms: 10_000,
            tls: { enabled: null, ca_file: null, certificate_key_file: null },
          },
          stores: {},
        },
        log: { level: 'info', format: 'json' },
        sasl: { iterations: 4096, mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'], sasl2: true, fast_token_lifetime_s: 1_209_600 },
      };
      assert.deepEqual(config, expected);
    });

    it('reads ./tern.yml when no path is given', () => {
      write('log:\n  level: warn\n');
      const { config, source } = inDir(dir, () => loadConfig());
      assert.equal(source, path.join(dir, 'tern.yml'));
      assert.equal(config.log.level, 'warn');
    });

    it('treats an empty file and empty sections as all defaults', () => {
      const empty = loadConfig(write('# nothing here\n')).config;
      const sections = loadConfig(write('hosts:\nlisteners:\n  c2s:\ntls:\nlimits:\n  auth_failures:\n', 'sections.yml')).config;
      assert.deepEqual(sections, empty);
      assert.deepEqual(empty.hosts.map((h) => h.domain), ['localhost']);
    });

    it('resolves relative paths against the file and keeps absolute ones', () => {
      mkdirSync(path.join(dir, 'etc'));
      const { config } = loadConfig(write(`data_dir: ../var/tern\ntls:\n  certs_dir: ${JSON.stringify(path.join(dir, 'pki'))}\n`, 'etc/tern.yml'));
      assert.equal(config.data_dir, path.join(dir, 'var', 'tern'));
      assert.equal(config.tls.certs_dir, path.join(dir, 'pki'));
    });

    it('resolves s2s CA files against the file and prepares remote domain names', () => {
      const { config } = loadConfig(write('s2s:\n  ca_files: [partner-ca.pem]\n  domains:\n    Partner.Example: { host: 127.0.0.1, port: 15269 }\n'));
      assert.deepEqual(config.s2s.ca_files, [path.join(dir, 'partner-ca.pem')]);
      assert.deepEqual(config.s2s.domains, { 'partner.example': { host: '127.0.0.1', port: 15269 } });
    });
  });

  describe('the shipped example', () => {
    it('loads and validates', () => {
      const { config, source } = loadConfig(EXAMPLE);
      assert.equal(source, EXAMPLE);
      assert.equal(config.hosts.length, 1);
      assert.equal(config.hosts[0]!.domain, 'example.org');
      assert.equal(config.hosts[0]!.registration, 'closed');
      assert.deepEqual(config.hosts[0]!.admins, ['admin@example.org']);
      assert.equal(config.tls.certs_dir, path.join(ROOT, 'certs'));
    });

    it('shows the defaults for everything but the hosts', () => {
      // A copy, so that both resolve their relative paths against the same directory.
      copyFileSync(EXAMPLE, path.join(dir, 'example.yml'));
      const example = loadConfig(path.join(dir, 'example.yml')).config;
      const defaults = defaultsWith({});
      assert.deepEqual({ ...example, hosts: [] }, { ...defaults, hosts: [] });
      const { domain: _d, admins: _a, muc: exampleMuc, ...exampleHost } = example.hosts[0]!;
      const { domain: _e, admins: _b, muc: defaultMuc, ...defaultHost } = configSchema.parse({ hosts: [{ domain: 'example.org' }] }).hosts[0]!;
      assert.deepEqual(exampleHost, defaultHost);
      assert.deepEqual(exampleMuc, defaultMuc);
    });
  });

  describe('per-domain defaults and normalization', () => {
    it('opens registration only on localhost and *.localhost unless set', () => {
      const { config } = loadConfig(write('hosts:\n  - domain: Example.ORG\n  - domain: dev.localhost\n  - domain: localhost\n    registration: admin\n  - domain: b.example\n    registration: open\n'));
      assert.deepEqual(config.hosts.map((h) => [h.domain, h.registration]), [['example.org', 'closed'], ['dev.localhost', 'open'], ['localhost', 'admin'], ['b.example', 'open']]);
    });

    it('prepares domains and admin JIDs and fills in the MUC domain', () => {
      const { config } = loadConfig(write('hosts:\n  - domain: "Example.org."\n    admins: [Boss@EXAMPLE.org]\n  - domain: b.example\n    muc: { domain: rooms.b.example }\n'));
      assert.equal(config.hosts[0]!.domain, 'example.org');
      assert.deepEqual(config.hosts[0]!.admins, ['boss@example.org']);
      assert.equal(config.hosts[0]!.muc.domain, 'conference.example.org');
      assert.equal(config.hosts[1]!.muc.domain, 'rooms.b.example');
    });
  });

  describe('errors', () => {
    it('names unknown keys and bad values with their full paths, one line each', () => {
      const msg = failure(() => loadConfig(write('listeners:\n  c2s:\n    prot: 5222\nlimits:\n  max_stanza_bytes: 99999999999\nlog:\n  level: loud\nextra: 1\n')));
      const lines = msg.split('\n');
      assert.deepEqual(lines.sort(), [
        'config: extra: unknown key',
        'config: limits.max_stanza_bytes: must be at most 16777216 (got 99999999999)',
        'config: listeners.c2s.prot: unknown key',
        'config: log.level: must be one of "trace", "debug", "info", "warn", "error", "fatal" (got "loud")',
      ]);
    });

    it('names list positions and type mismatches', () => {
      const msg = failure(() => loadConfig(write('hosts:\n  - registration: open\n  - domain: b.example\n    admins: [nobody, "u@b.example/phone"]\n    offline: { max_messages: "many" }\n    typo: true\nlimits:\n  max_depth: 4.5\n  auth_failures: nope\n')));
      assert.match(msg, /^config: hosts\[0\]\.domain: is required \(a string\)$/m);
      assert.match(msg, /^config: hosts\[1\]\.admins\[0\]: must be a bare JID .*\(got "nobody"\)$/m);
      assert.match(msg, /^config: hosts\[1\]\.admins\[1\]: must be a bare JID .*\(got "u@b\.example\/phone"\)$/m);
      assert.match(msg, /^config: hosts\[1\]\.offline\.max_messages: must be a number \(got "many"\)$/m);
      assert.match(msg, /^config: hosts\[1\]\.typo: unknown key$/m);
      assert.match(msg, /^config: limits\.max_depth: must be an integer \(got 4\.5\)$/m);
      assert.match(msg, /^config: limits\.auth_failures: must be a mapping \(got "nope"\)$/m);
    });

    it('checks bounds', () => {
      const cases: Array<[string, RegExp]> = [
        ['listeners:\n  c2s:\n    port: 70000\n', /config: listeners\.c2s\.port: must be at most 65535 \(got 70000\)/],
        ['listeners:\n  c2s_direct_tls:\n    port: -1\n', /config: listeners\.c2s_direct_tls\.port: must be at least 0 \(got -1\)/],
        ['limits:\n  max_stanza_bytes: 1023\n', /limits\.max_stanza_bytes: must be at least 1024/],
        ['limits:\n  max_depth: 1001\n', /limits\.max_depth: must be at most 1000/],
        ['limits:\n  auth_timeout_s: 0\n', /limits\.auth_timeout_s: must be at least 1/],
        ['sasl:\n  iterations: 1000\n', /sasl\.iterations: must be at least 4096/],
        ['sasl:\n  mechanisms: []\n', /sasl\.mechanisms: must list at least 1/],
        ['sasl:\n  mechanisms: [PLAIN, PLAIN]\n', /sasl\.mechanisms: must not list a mechanism twice/],
        ['hosts: []\n', /config: hosts: must list at least 1/],
        ['hosts:\n  - domain: a.example\n    username_policy: { max_length: 2000 }\n', /hosts\[0\]\.username_policy\.max_length: must be at most 1023/],
      ];
      for (const [yaml, re] of cases) assert.match(failure(() => loadConfig(write(yaml))), re, yaml);
      // The edges themselves are accepted; port 0 asks for an ephemeral port.
      const { config } = loadConfig(write('listeners:\n  c2s: { port: 0 }\n  c2s_direct_tls: { port: 0 }\nlimits:\n  max_stanza_bytes: 16777216\n  idle_timeout_s: 0\n'));
      assert.equal(config.listeners.c2s.port, 0);
      assert.equal(config.limits.idle_timeout_s, 0);
    });

    it('checks consistency between keys', () => {
      const cases: Array<[string, RegExp]> = [
        ['hosts:\n  - domain: a.org\n    password_policy: { min_length: 9, max_length: 8 }\n', /hosts\[0\]\.password_policy\.min_length: must not exceed max_length \(8\) \(got 9\)/],
        ['hosts:\n  - domain: a.org\n    username_policy: { pattern: "([" }\n', /hosts\[0\]\.username_policy\.pattern: must be a valid regular expression/],
        ['hosts:\n  - domain: a.org\n  - domain: A.ORG\n', /hosts\[1\]\.domain: a\.org is already served \(hosts\[0\]\.domain\)/],
        ['hosts:\n  - domain: a.org\n  - domain: conference.a.org\n', /hosts\[1\]\.domain: conference\.a\.org is already served \(hosts\[0\]\.muc\.domain\)/],
        ['listeners:\n  c2s: { port: 5300 }\n  c2s_direct_tls: { port: 5300 }\n', /listeners\.c2s_direct_tls\.port: must differ from listeners\.c2s\.port/],
        ['s2s:\n  domains:\n    a.test: { port: 5269 }\n', /s2s\.domains\.a\.test: port needs host/],
        ['s2s:\n  default_policy: trust_everyone\n', /s2s\.default_policy/],
        ['components:\n  - { domain: gw.a.org, secret: short }\n', /components\[0\]\.secret/],
        ['components:\n  - { domain: gw.a.org, secret: long-enough }\n  - { domain: gw.a.org, secret: long-enough }\n', /components: must not list a domain twice/],
      ];
      for (const [yaml, re] of cases) assert.match(failure(() => loadConfig(write(yaml))), re, yaml);
      // A disabled direct-TLS listener or a disabled MUC service claims nothing.
      loadConfig(write('listeners:\n  c2s: { port: 5300 }\n  c2s_direct_tls: { port: 5300, enabled: false }\n'));
      loadConfig(write('hosts:\n  - domain: a.org\n    muc: { enabled: false }\n  - domain: conference.a.org\n'));
    });

    it('validates the MongoDB storage keys and requires a URL once a store uses mongodb', () => {
      const cases: Array<[string, RegExp]> = [
        ['storage:\n  provider: mongodb\n', /storage\.mongodb\.url: is required when a store uses mongodb/],
        ['storage:\n  stores: { mam: mongodb }\n', /storage\.mongodb\.url: is required when a store uses mongodb/],
        ['storage:\n  stores: { mam: postgres }\n', /storage\.stores\.mam/],
        ['storage:\n  provider: mongodb\n  mongodb: { url: "http://db:27017" }\n', /storage\.mongodb\.url: must be a mongodb:\/\/ or mongodb\+srv:\/\/ connection string/],
        ['storage:\n  mongodb: { database: "a.b" }\n', /storage\.mongodb\.database: must be a MongoDB database name/],
        ['storage:\n  mongodb: { write_concern: 51 }\n', /storage\.mongodb\.write_concern/],
        ['storage:\n  mongodb: { read_concern: snapshot }\n', /storage\.mongodb\.read_concern/],
        ['storage:\n  mongodb: { server_selection_timeout_ms: 10 }\n', /storage\.mongodb\.server_selection_timeout_ms/],
      ];
      for (const [yaml, re] of cases) assert.match(failure(() => loadConfig(write(yaml))), re, yaml);
      const { config } = loadConfig(write([
        'storage:',
        '  stores: { mam: mongodb, offline: mongodb }',
        '  mongodb:',
        '    url: "mongodb://tern:secret@db1,db2,db3/?replicaSet=rs0"',
        '    write_concern: 2',
        '    tls: { enabled: true, ca_file: ca.pem }',
        '',
      ].join('\n')));
      assert.equal(config.storage.provider, 'embedded');
      assert.deepEqual(config.storage.stores, { mam: 'mongodb', offline: 'mongodb' });
      assert.equal(config.storage.mongodb.write_concern, 2);
      assert.equal(config.storage.mongodb.tls.ca_file, path.join(dir, 'ca.pem'), 'resolved against the file');
    });

    it('rejects domains that would be cut short or name other files', () => {
      for (const d of ['a.org/x', 'a.org?x', '../etc', 'a b.org', 'user@a.org', 'a%2forg']) {
        assert.match(failure(() => defaultsWith({ hosts: [{ domain: d }] })), /config: hosts\[0\]\.domain: must be a domain name/, d);
      }
    });

    it('reports YAML syntax errors with their position', () => {
      const msg = failure(() => loadConfig(write('hosts: [\n  - domain: x\n')));
      assert.match(msg, /config: .*tern\.yml: line \d+, column \d+: \S/);
      assert.match(failure(() => loadConfig(write('log:\n  level: info\n  level: warn\n'))), /line 3, column 3: Map keys must be unique/);
      assert.match(failure(() => loadConfig(write('- a\n- b\n'))), /top level must be a mapping/);
    });

    it('refuses an explicit path that does not exist', () => {
      assert.match(failure(() => loadConfig(path.join(dir, 'absent.yml'))), /config: .*absent\.yml: no such file/);
    });
  });

  describe('overrides', () => {
    it('are merged key by key over the file, lists replaced', () => {
      const f = write('log:\n  level: warn\nhosts:\n  - domain: a.org\n  - domain: b.org\n');
      const { config } = loadConfig(f, { log: { format: 'pretty' }, hosts: [{ domain: 'c.org' }] });
      assert.equal(config.log.level, 'warn');
      assert.equal(config.log.format, 'pretty');
      assert.deepEqual(config.hosts.map((h) => h.domain), ['c.org']);
    });

    it('are validated like the file', () => {
      assert.match(failure(() => defaultsWith({ limits: { max_depth: 2 } })), /limits\.max_depth: must be at least 4/);
      assert.match(failure(() => defaultsWith(['nope'])), /overrides must be a mapping/);
      assert.match(failure(() => defaultsWith(JSON.parse('{"__proto__": {"x": 1}}'))), /__proto__: unknown key/);
    });
  });
});
