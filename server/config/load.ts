/**
 * Loading: YAML file (or none: defaults) → deep-merged overrides → schema validation. Every problem
 * is reported on its own line with the key's full path; relative paths resolve against the
 * config file's directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ServerError } from '../core/errors.js';
import { configSchema, type TernConfig } from './schema.js';

/** Looked up in the working directory when no path is given. */
export const DEFAULT_CONFIG_FILE = 'tern.yml';

/**
 * `path` undefined: ./tern.yml if it exists, else built-in defaults (source null). An explicit
 * path must exist. `overrides` (same shape as the YAML) are merged over the file: objects key by
 * key, anything else (lists included) replaced.
 */
export function loadConfig(path?: string, overrides?: unknown): { config: TernConfig; source: string | null } {
  let raw: unknown = {};
  let source: string | null = null;
  const candidate = path ?? DEFAULT_CONFIG_FILE;
  if (existsSync(candidate)) {
    source = resolve(candidate);
    let text: string;
    try {
      text = readFileSync(source, 'utf8');
    } catch (err) {
      throw new ServerError('TERN_ERR_CONFIG', `config: ${candidate}: cannot read: ${(err as Error).message}`, err);
    }
    raw = parseYaml(text, candidate) ?? {};
  } else if (path !== undefined) {
    throw new ServerError('TERN_ERR_CONFIG', `config: ${path}: no such file`);
  }
  if (!isPlain(raw)) throw new ServerError('TERN_ERR_CONFIG', `config: ${candidate}: the top level must be a mapping of keys`);
  if (overrides !== undefined) {
    if (!isPlain(overrides)) throw new ServerError('TERN_ERR_CONFIG', 'config: overrides must be a mapping of keys');
    raw = deepMerge(raw, overrides);
  }
  return { config: validateConfig(raw, source ? dirname(source) : process.cwd()), source };
}

/** Validates an already parsed document; relative paths in it resolve against `baseDir`. */
export function validateConfig(raw: unknown, baseDir: string): TernConfig {
  const r = configSchema.safeParse(raw);
  if (!r.success) throw new ServerError('TERN_ERR_CONFIG', formatConfigError(r.error, raw), r.error);
  const c = r.data;
  return {
    ...c,
    data_dir: resolve(baseDir, c.data_dir),
    tls: { ...c.tls, certs_dir: resolve(baseDir, c.tls.certs_dir) },
    storage: {
      ...c.storage,
      mongodb: {
        ...c.storage.mongodb,
        tls: {
          ...c.storage.mongodb.tls,
          ca_file: c.storage.mongodb.tls.ca_file === null ? null : resolve(baseDir, c.storage.mongodb.tls.ca_file),
          certificate_key_file: c.storage.mongodb.tls.certificate_key_file === null ? null : resolve(baseDir, c.storage.mongodb.tls.certificate_key_file),
        },
      },
    },
    s2s: { ...c.s2s, ca_files: c.s2s.ca_files.map((f) => resolve(baseDir, f)) },
  };
}

function parseYaml(text: string, file: string): unknown {
  // prettyErrors gives each error a line/column; the message's first line already carries them.
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    const lines = doc.errors.map((e) => {
      const at = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : 'position unknown';
      const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return `config: ${file}: ${at}: ${what}`;
    });
    throw new ServerError('TERN_ERR_CONFIG', lines.join('\n'));
  }
  try {
    return doc.toJS();
  } catch (err) {
    // e.g. too many alias expansions (a "billion laughs" document).
    throw new ServerError('TERN_ERR_CONFIG', `config: ${file}: ${(err as Error).message}`, err);
  }
}

/** One line per problem: `config: <path>: <what is wrong> (got <value>)`. */
export function formatConfigError(error: z.ZodError, raw: unknown): string {
  return error.issues.flatMap((i) => {
    const at = formatPath(i.path);
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => `config: ${formatPath([...i.path, k])}: unknown key`);
    const got = valueAt(raw, i.path);
    if (i.code === 'invalid_type' && got === undefined) return [`config: ${at}: is required (${article(i.expected)})`];
    return [`config: ${at || '(top level)'}: ${describe(i)}${got === undefined ? '' : ` (got ${show(got)})`}`];
  }).join('\n');
}

/** `hosts[0].username_policy.pattern`: dots for keys, brackets for list positions. */
function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');
}

const TYPE_NAMES: Record<string, string> = { object: 'mapping', array: 'list', int: 'integer' };
const article = (t: string) => {
  const name = TYPE_NAMES[t] ?? t;
  return `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name}`;
};

function describe(i: z.core.$ZodIssue): string {
  switch (i.code) {
    case 'too_big':
      return i.origin === 'array' ? `must list at most ${String(i.maximum)}` : i.origin === 'string' ? `must be at most ${String(i.maximum)} characters` : `must be at most ${String(i.maximum)}`;
    case 'too_small':
      return i.origin === 'array' ? `must list at least ${String(i.minimum)}` : i.origin === 'string' ? `must be at least ${String(i.minimum)} characters` : `must be at least ${String(i.minimum)}`;
    case 'invalid_value': return `must be one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_type': return `must be ${article(i.expected)}`;
    default: return i.message;
  }
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function valueAt(raw: unknown, p: readonly PropertyKey[]): unknown {
  let cur = raw;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = Object.hasOwn(out, k) ? out[k] : undefined;
    // defineProperty: an own '__proto__' key must stay a key (which the schema rejects), not a prototype.
    Object.defineProperty(out, k, { value: isPlain(v) && isPlain(cur) ? deepMerge(cur, v) : v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
