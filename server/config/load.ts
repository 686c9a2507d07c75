/**
 * Loading: YAML file (or none: defaults) → deep-merged overrides → schema validation. Every problem
 * is reported on its own line with the key's full path; relative paths resolve against the
 * config file's directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ServerError } from '../core/errors.js';
import { configSchema, defaultRegistration, type TernConfig } from './schema.js';

export function loadConfig(file?: string, overrides?: Record<string, unknown>): { config: TernConfig; source: string | null } {
  let raw: unknown = {};
  let source: string | null = null;
  const candidate = file ?? 'tern.yml';
  if (existsSync(candidate)) {
    source = path.resolve(candidate);
    raw = parseYaml(readFileSync(candidate, 'utf8'), candidate);
  } else if (file !== undefined) {
    throw new ServerError('TERN_ERR_CONFIG', `config: ${file}: no such file`);
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ServerError('TERN_ERR_CONFIG', 'config: the top level must be a mapping of keys');
  if (overrides) raw = deepMerge(raw as Record<string, unknown>, overrides);
  return { config: validateConfig(raw, source ? path.dirname(source) : process.cwd()), source };
}

export function validateConfig(raw: unknown, baseDir: string): TernConfig {
  const r = configSchema.safeParse(raw);
  if (!r.success) throw new ServerError('TERN_ERR_CONFIG', formatIssues(r.error.issues, raw));
  const c = r.data;
  return {
    ...c,
    data_dir: path.resolve(baseDir, c.data_dir),
    tls: { ...c.tls, certs_dir: path.resolve(baseDir, c.tls.certs_dir) },
    hosts: c.hosts.map((h) => ({ ...h, domain: h.domain.toLowerCase(), registration: h.registration ?? defaultRegistration(h.domain.toLowerCase()) })),
  };
}

function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    const lines = doc.errors.map((e) => `config: ${file}: line ${e.linePos?.[0]?.line ?? '?'}, column ${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new ServerError('TERN_ERR_CONFIG', lines.join('\n'));
  }
  return doc.toJS();
}

function formatIssues(issues: z.core.$ZodIssue[], raw: unknown): string {
  return issues.map((i) => {
    const at = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => `config: ${at ? `${at}.` : ''}${k}: unknown key`).join('\n');
    }
    const got = valueAt(raw, i.path);
    const shown = got === undefined ? '' : ` (got ${JSON.stringify(got)})`;
    return `config: ${at || '(top level)'}: ${describe(i)}${shown}`;
  }).join('\n');
}

function describe(i: z.core.$ZodIssue): string {
  switch (i.code) {
    case 'too_big': return `must be at most ${String(i.maximum)}`;
    case 'too_small': return `must be at least ${String(i.minimum)}`;
    case 'invalid_value': return `must be one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_type': return `must be ${i.expected}`;
    default: return i.message;
  }
}

function valueAt(raw: unknown, p: PropertyKey[]): unknown {
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
    const cur = out[k];
    out[k] = isPlain(v) && isPlain(cur) ? deepMerge(cur, v) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
