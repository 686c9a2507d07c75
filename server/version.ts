/** The release version, read once from package.json (kept in one place). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function find(): string {
  // Works from the sources (server/) and from the build (dist/server/).
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tern' && pkg.version) return pkg.version;
    } catch { /* keep looking upwards */ }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}

export const TERN_VERSION = find();
