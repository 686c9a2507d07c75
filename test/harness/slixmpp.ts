/** Runs one of the slixmpp scripts in test/scenarios (an independent client, Debian's python3-slixmpp). */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, type TestServer } from './server.js';

export interface SlixRun {
  /** Resolves with the script's exit code. */
  exited: Promise<number | null>;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
}

export function runSlixmpp(script: string, server: TestServer, args: Record<string, string>): SlixRun {
  const argv = [path.join(ROOT, 'test/scenarios', script), '--port', String(server.port), '--ca', server.caFile];
  for (const [k, v] of Object.entries(args)) argv.push(`--${k}`, v);
  // Debian's interpreter, where python3-slixmpp is installed, whatever `python3` is first on PATH.
  const py = spawn('/usr/bin/python3', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  py.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  py.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  return { exited: new Promise((resolve) => py.on('exit', resolve)), output: () => out };
}
