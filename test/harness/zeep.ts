/** One WSI SOAP call through test/scenarios/zeep_wsi.py (Debian's python3-zeep, an independent client). */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { ROOT, type TestServer } from './server.js';

export type ZeepReply = { ok: any; status: number; fault?: undefined } | { fault: { code: string; string: string; status: number; reason: string | null; field: string | null }; ok?: undefined; status?: undefined };
export type ZeepAuth = { token: string } | { user: string; password: string } | Record<string, never>;

export function zeepCall(server: TestServer, inbox: string, op: string, args: Record<string, unknown>, auth: ZeepAuth): Promise<ZeepReply> {
  const wsdl = `https://localhost:${server.uploadPort}/wsi/${server.domain}/${inbox}/soap?wsdl`;
  const argv = [path.join(ROOT, 'test/scenarios/zeep_wsi.py'), '--wsdl', wsdl, '--ca', server.caFile, '--op', op, '--args', JSON.stringify(args)];
  if ('token' in auth) argv.push('--token', auth.token);
  if ('user' in auth) argv.push('--user', auth.user, '--password', auth.password);
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', argv, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`zeep_wsi.py ${op} failed: ${err.message}\n${stderr}`));
      try { resolve(JSON.parse(stdout.trim().split('\n').at(-1)!)); } catch { reject(new Error(`zeep_wsi.py printed no JSON: ${stdout}\n${stderr}`)); }
    });
  });
}
