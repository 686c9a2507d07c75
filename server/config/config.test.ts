import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './load.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('config', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'tern-config-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (text: string) => {
    const f = path.join(dir, 'tern.yml');
    writeFileSync(f, text);
    return f;
  };

  it('with no file serves localhost with open registration and sane defaults', () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const { config, source } = loadConfig();
      assert.equal(source, null);
      assert.deepEqual(config.hosts.map((h) => [h.domain, h.registration]), [['localhost', 'open']]);
      assert.equal(config.listeners.c2s.port, 5222);
      assert.equal(config.listeners.c2s.starttls, 'required');
      assert.equal(config.limits.max_stanza_bytes, 262144);
      assert.equal(config.data_dir, path.join(dir, 'data'));
    } finally {
      process.chdir(cwd);
    }
  });

  it('loads the shipped example', () => {
    const { config } = loadConfig(path.join(ROOT, 'tern.example.yml'));
    assert.equal(config.hosts[0]!.domain, 'example.org');
    assert.equal(config.hosts[0]!.registration, 'closed');
    assert.equal(config.tls.certs_dir, path.join(ROOT, 'certs'));
  });

  it('closes registration by default on public domains', () => {
    const { config } = loadConfig(write('hosts:\n  - domain: Example.ORG\n  - domain: dev.localhost\n'));
    assert.deepEqual(config.hosts.map((h) => [h.domain, h.registration]), [['example.org', 'closed'], ['dev.localhost', 'open']]);
  });

  it('names unknown keys and bad values with their paths', () => {
    const f = write('listeners:\n  c2s:\n    prot: 5222\nlimits:\n  max_stanza_bytes: 99999999999\nlog:\n  level: loud\n');
    assert.throws(() => loadConfig(f), (e: Error) => {
      assert.match(e.message, /config: listeners\.c2s\.prot: unknown key/);
      assert.match(e.message, /config: limits\.max_stanza_bytes: must be at most 16777216 \(got 99999999999\)/);
      assert.match(e.message, /config: log\.level: must be one of "trace"/);
      return true;
    });
  });

  it('reports YAML syntax errors with a position, and a missing explicit file', () => {
    assert.throws(() => loadConfig(write('hosts: [\n  - domain: x\n')), /line \d+, column \d+/);
    assert.throws(() => loadConfig(path.join(dir, 'absent.yml')), /no such file/);
  });

  it('checks bounds and policy consistency', () => {
    assert.throws(() => loadConfig(write('listeners:\n  c2s:\n    port: 70000\n')), /listeners\.c2s\.port: must be at most 65535/);
    assert.throws(() => loadConfig(write('hosts:\n  - domain: a.org\n    password_policy: { min_length: 9, max_length: 8 }\n')), /min_length must not exceed max_length/);
    assert.throws(() => loadConfig(write('hosts:\n  - domain: a.org\n    username_policy: { pattern: "([" }\n')), /valid regular expression/);
  });

  it('merges overrides over the file', () => {
    const { config } = loadConfig(write('log:\n  level: warn\n'), { log: { format: 'pretty' } });
    assert.equal(config.log.level, 'warn');
    assert.equal(config.log.format, 'pretty');
  });
});
