/** The shared CPIM vectors (copied byte for byte from the project's vector set; README.md there gives sizes and sha256). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// Compiled tests run from dist/, where the .cpim files are not copied.
const DIR = HERE.split(path.sep).includes('dist') ? path.resolve(HERE, '../../../../gateways/cpim/vectors') : HERE;

export function vector(name: string): Buffer {
  return readFileSync(path.join(DIR, name));
}
