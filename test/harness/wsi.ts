/**
 * Web-service consumers of a Tern's WSI inboxes for tests: the REST/JSON binding over node:https
 * (the test CA as `ca`, the host's name for SNI and the certificate check) and the SOAP binding
 * through the npm `soap` package, built from the WSDL the server serves.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import * as soap from 'soap';
import { tokenDigest } from '../../server/modules/wsi/index.js';
import { connect, createUser, type TestClient } from './clients.js';
import { startServer, type TestServer } from './server.js';

export interface WsiWorld { server: TestServer; alice: TestClient; bob: TestClient; stop(): Promise<void> }

/** A Tern on localhost with the inboxes `game` and `other` (their tokens given), and alice and bob logged in. */
export async function startWsiWorld(tokens: { game: string; other: string }): Promise<WsiWorld> {
  const server = await startServer({ hosts: [], config: { hosts: [{ domain: 'localhost', registration: 'open', wsi: { inboxes: [
    { username: 'game', token_sha256: tokenDigest(tokens.game) },
    { username: 'other', token_sha256: tokenDigest(tokens.other) },
  ] } }] } });
  for (const u of ['alice', 'bob']) await createUser(server, u, `${u}-pass`);
  const alice = await connect(server, 'alice', 'alice-pass');
  const bob = await connect(server, 'bob', 'bob-pass');
  return {
    server, alice, bob,
    stop: async () => {
      await alice.stop();
      await bob.stop();
      await server.stop();
    },
  };
}

export interface RestReply { status: number; body: any }

/** One REST request; the body is JSON when it parses, else the text. */
export function wsiRest(server: TestServer, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<RestReply> {
  const ca = readFileSync(server.caFile);
  const data = opts.body === undefined ? undefined : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    if (data) { headers['Content-Type'] = 'application/json'; headers['Content-Length'] = String(data.length); }
    const req = https.request({ host: '127.0.0.1', servername: server.domain, port: server.uploadPort, path, method, headers, ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try { body = text ? JSON.parse(text) : undefined; } catch { /* XML or text */ }
        resolve({ status: res.statusCode!, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

export type WsiOp = 'GetMessages' | 'SendMessages' | 'Acknowledge';
export interface WsiSoap {
  /** The node-soap client (its WSDL, describe()). */
  client: any;
  /** One operation; rejects on a fault as node-soap does (err.root.Envelope.Body.Fault, err.response.status). */
  call(op: WsiOp, args: Record<string, unknown>): Promise<any>;
}

/**
 * A SOAP client for one inbox from the WSDL the server serves. Requests go to 127.0.0.1 with an
 * agent whose `servername` is the server's domain and whose CA is the test CA, so the certificate
 * is checked for that domain, for the WSDL and for every call.
 */
export async function wsiSoapClient(server: TestServer, inbox: string, token?: string): Promise<WsiSoap> {
  const url = `https://127.0.0.1:${server.uploadPort}/wsi/${server.domain}/${inbox}/soap?wsdl`;
  const httpsAgent = new https.Agent({ servername: server.domain, ca: readFileSync(server.caFile) });
  const client = await soap.createClientAsync(url, { wsdl_options: { httpsAgent } });
  if (token) client.addHttpHeader('Authorization', `Bearer ${token}`);
  return {
    client,
    call: async (op, args) => (await client[`${op}Async`](args, { httpsAgent }))[0],
  };
}

/** node-soap gives one element as an object and several as an array. */
export const soapList = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
