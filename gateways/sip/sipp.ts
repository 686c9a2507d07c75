/** Runs Debian's sipp (package sip-tester) on loopback with a scenario file; the test stops it by PID. */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const SIPP = process.env.SIPP ?? 'sipp';

export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface SippRun { child: ChildProcess; done: Promise<{ code: number | null; output: string }>; stop(): void }

/** `sipp [remote] -sf scenario -m 1`: exits 0 when the one call passed every check of the scenario. */
export function runSipp(scenario: string, args: string[]): SippRun {
  const dir = mkdtempSync(path.join(tmpdir(), 'tern-sipp-'));
  const file = path.join(dir, 'scenario.xml');
  writeFileSync(file, scenario);
  const child = spawn(SIPP, ['-sf', file, '-m', '1', '-i', '127.0.0.1', '-timeout', '15s', '-timeout_error', '-trace_err', '-error_file', path.join(dir, 'errors.log'), '-trace_logs', '-log_file', path.join(dir, 'log.log'), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const done = new Promise<{ code: number | null; output: string }>((resolve) => {
    child.on('exit', (code) => {
      let errors = '';
      try {
        errors = readErrors(path.join(dir, 'errors.log'));
      } catch { /* none */ }
      resolve({ code, output: `${output}\n${errors}` });
    });
  });
  return { child, done, stop: () => { if (child.exitCode === null) child.kill('SIGKILL'); } };
}

function readErrors(p: string): string {
  return readFileSync(p, 'utf8');
}

/** A UAC scenario: one MESSAGE, then the final response code it must get. */
export function uacMessage(o: { to: string; from: string; contentType: string; body: string; expect: number; extraHeaders?: string[] }): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="tern message uac">
  <send retrans="500"><![CDATA[
MESSAGE ${o.to} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
Max-Forwards: 70
From: "Romeo" <${o.from}>;tag=[pid]SIPpTag00[call_number]
To: <${o.to}>
Call-ID: [call_id]
CSeq: 1 MESSAGE
${(o.extraHeaders ?? []).join('\n')}${o.extraHeaders?.length ? '\n' : ''}Content-Type: ${o.contentType}
Content-Length: [len]

${o.body}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="${o.expect}"/>
</scenario>
`;
}

/** A UAS scenario: receives one MESSAGE (or `method`), checks it against regexps (check_it fails the call), answers `status`. */
export function uasMessage(o: { checks: Array<{ regexp: string; in: 'msg' | 'body' }>; status: number; reason: string; method?: string }): string {
  // sipp's XML reader has no character references and attributes lose raw line ends: CRLF is
  // matched as two control characters (the CPIM codec on our side already rejects bare LFs).
  const checks = o.checks.map((c, i) => `      <ereg regexp="${c.regexp.replace(/\r\n/g, '[[:cntrl:]]{2}').replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}" search_in="${c.in}" check_it="true" assign_to="m${i}"/>`).join('\n');
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="tern message uas">
  <recv request="${o.method ?? 'MESSAGE'}">
    <action>
${checks}
      <log message="checked:${o.checks.map((_, i) => `[$m${i}]`).join('')}"/>
    </action>
  </recv>
  <send><![CDATA[
SIP/2.0 ${o.status} ${o.reason}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
`;
}

function eregs(checks: Array<{ regexp: string; in: 'msg' | 'body' }>, prefix: string): string {
  const lines = checks.map((c, i) => `      <ereg regexp="${c.regexp.replace(/\r\n/g, '[[:cntrl:]]{2}').replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}" search_in="${c.in}" check_it="true" assign_to="${prefix}${i}"/>`);
  return `${lines.join('\n')}\n      <log message="checked:${checks.map((_, i) => `[$${prefix}${i}]`).join('')}"/>`;
}

const OK_TO_REQUEST = `<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>`;

/** A watcher: SUBSCRIBE (Event: presence), then one NOTIFY per entry of `notifies`, each checked and answered 200. */
export function uacSubscribe(o: { to: string; from: string; notifies: Array<Array<{ regexp: string; in: 'msg' | 'body' }>> }): string {
  const notifies = o.notifies.map((checks, n) => `  <recv request="NOTIFY">
    <action>
${eregs(checks, `n${n}x`)}
    </action>
  </recv>
  ${OK_TO_REQUEST}`).join('\n');
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="tern presence watcher">
  <send retrans="500"><![CDATA[
SUBSCRIBE ${o.to} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
Max-Forwards: 70
From: <${o.from}>;tag=[pid]SIPpTag00[call_number]
To: <${o.to}>
Call-ID: [call_id]
CSeq: 1 SUBSCRIBE
Contact: <sip:watcher@[local_ip]:[local_port]>
Event: presence
Accept: application/pidf+xml
Expires: 600
Content-Length: 0

]]></send>
  <recv response="200"/>
${notifies}
</scenario>
`;
}

type Checks = Array<{ regexp: string; in: 'msg' | 'body' }>;

/**
 * A presence notifier (RFC 6665 §4.2 with RFC 3856): answers the first SUBSCRIBE 200 granting
 * `expires` seconds and sends one NOTIFY per entry of `states` (a PIDF body, or none), each after
 * the SUBSCRIBE (initial, refreshes, the Expires: 0 one) at the same index, checked by `subscribes`.
 */
export function uasNotifier(o: { watcher: string; entity: string; expires: number; subscribes: Checks[]; notifies: Array<{ state: string; pidf?: string }> }): string {
  const steps = o.subscribes.map((checks, i) => {
    const n = o.notifies[i]!;
    const body = n.pidf ?? '';
    return `  <recv request="SUBSCRIBE">
    <action>
${eregs(checks, `s${i}x`)}
${i === 0 ? '      <ereg regexp=";tag=([^;[:space:]]+)" search_in="hdr" header="From:" assign_to="junk,ftag"/>\n      <log message="from tag [$junk] [$ftag]"/>' : ''}
    </action>
  </recv>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]${i === 0 ? ';tag=[pid]SIPpTag01[call_number]' : ''}
[last_Call-ID:]
[last_CSeq:]
Contact: <${o.entity.replace(/@.*/, '')}@[local_ip]:[local_port]>
Expires: ${n.state.startsWith('terminated') ? 0 : o.expires}
Content-Length: 0

]]></send>
  <send retrans="500"><![CDATA[
NOTIFY ${o.watcher} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
Max-Forwards: 70
From: <${o.entity}>;tag=[pid]SIPpTag01[call_number]
To: <${o.watcher}>;tag=[$ftag]
Call-ID: [call_id]
CSeq: ${i + 1} NOTIFY
Contact: <${o.entity.replace(/@.*/, '')}@[local_ip]:[local_port]>
Event: presence
Subscription-State: ${n.state}
${body ? 'Content-Type: application/pidf+xml\n' : ''}Content-Length: [len]

${body}
]]></send>
  <recv response="200"/>`;
  });
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="tern presence notifier">
${steps.join('\n')}
</scenario>
`;
}

/** A one-tuple PIDF document (RFC 3863). */
export function pidf(entity: string, basic: 'open' | 'closed', note?: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${entity}"><tuple id="t1"><status><basic>${basic}</basic></status>${note ? `<note>${note}</note>` : ''}</tuple></presence>`;
}
