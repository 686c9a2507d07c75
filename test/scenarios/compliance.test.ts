/**
 * The compliance table in README.md names every XEP the server declares (in module metadata and
 * in the stream layer), with the same version: the documentation cannot drift from the code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { XepInfo } from '../../server/core/module.js';
import { STREAM_XEPS } from '../../server/core/stream/xeps.js';
import { allModules } from '../../server/modules/index.js';
import { ROOT } from '../harness/server.js';

/** XEP number → the versions README's compliance rows give it. */
function readmeVersions(): Map<number, string[]> {
  const text = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = text.slice(text.indexOf('## Compliance'), text.indexOf('\n## ', text.indexOf('## Compliance') + 5));
  const out = new Map<number, string[]>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4) continue;
    const version = cells[2]!;
    for (const m of cells[1]!.matchAll(/XEP-0*(\d+)/g)) {
      const n = Number(m[1]);
      out.set(n, [...(out.get(n) ?? []), ...version.split(',').map((v) => v.trim()).filter(Boolean)]);
    }
  }
  return out;
}

describe('compliance table', () => {
  const declared: Array<{ where: string; xep: XepInfo }> = [
    ...STREAM_XEPS.map((xep) => ({ where: 'stream layer', xep })),
    ...allModules.flatMap((m) => (m.xeps ?? []).map((xep) => ({ where: `module ${m.name}`, xep }))),
  ];

  it('lists every declared XEP with the declared version', () => {
    const readme = readmeVersions();
    const problems: string[] = [];
    for (const { where, xep } of declared) {
      const versions = readme.get(xep.number);
      if (!versions) problems.push(`XEP-${String(xep.number).padStart(4, '0')} (${where}) is not in README's compliance table`);
      else if (!versions.includes(xep.version)) problems.push(`XEP-${String(xep.number).padStart(4, '0')} (${where}) is ${xep.version} in code, ${versions.join(' / ')} in README`);
    }
    assert.deepEqual(problems, []);
  });

  it('declares each XEP once per place, with a version', () => {
    for (const { where, xep } of declared) assert.match(xep.version, /^\d+\.\d+(\.\d+)?(rc\d+)?$/, `${where}: XEP-${xep.number}`);
  });
});
