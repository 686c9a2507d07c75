#!/usr/bin/env node
/**
 * `tern` — start the server and administer it.
 * Exit codes: 0 success, 1 the operation failed, 2 usage error, 78 configuration error (EX_CONFIG).
 */
import { createInterface } from 'node:readline';
import { cpimCommand } from '../gateways/cpim/cli.js';
import { checkCertificate, ensureLocalCertificates, importCertificate } from '../certs/index.js';
import { loadConfig } from './config/load.js';
import type { TernConfig } from './config/schema.js';
import type { AccountService } from './core/accounts.js';
import { ServerError, StanzaError } from './core/errors.js';
import { Jid } from './core/jid.js';
import { runChecks } from './check.js';
import { createLogger } from './logging.js';
import { TernServer } from './server.js';
import { storageCheck, storageMigrate } from './storage-admin.js';

const USAGE = `usage: tern <command> [options]

commands:
  start                      run the server (stops gracefully on SIGTERM/SIGINT)
  adduser JID                create an account; the password is read from stdin (or --password)
  passwd JID                 change an account's password (same password input)
  deluser JID                delete an account and everything stored for it
  alias add ALIAS OWNER      give account OWNER (a bare JID) the extra address ALIAS (same host)
  alias remove ALIAS         remove an alias
  alias list [OWNER|DOMAIN]  list aliases (of one account, or of a host; default: every host)
  msisdn link NUMBER JID     provision a phone number for account JID (verified)
  msisdn unlink NUMBER DOMAIN  remove a number from whichever account of DOMAIN has it
  msisdn verify NUMBER DOMAIN  mark a user's claimed number verified
  msisdn show JID|NUMBER DOMAIN  an account's numbers, or a number's account
  cert generate [DOMAIN...]  create local-CA certificates for domains that have none
  cert import DOMAIN CERT KEY  install PEM files from a real CA for DOMAIN
  check                      validate the config, certificates and listener ports
  storage check              list the storage providers in use; for MongoDB, the indexes present
                             and missing (exit 1 if any is missing)
  cpim decode < FILE         print the XMPP stanza the CPIM gateway makes of a message/cpim document
  cpim encode < FILE         print the message/cpim document for an XMPP <message/> (--date ISO fixes DateTime)
  storage migrate --from embedded --to mongodb
                             copy every store from the embedded store to MongoDB and verify
                             counts (stop the server first; safe to run again)

options:
  -c, --config FILE          config file (default ./tern.yml; none → built-in defaults)
  --password PASSWORD        password on the command line (visible to other users: prefer stdin)
  -h, --help                 this text
`;

class UsageError extends Error {}

interface Args { command?: string; rest: string[]; config?: string; password?: string; from?: string; to?: string; date?: string }

function parseArgs(argv: string[]): Args {
  const args: Args = { rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') args.command = 'help';
    else if (a === '-c' || a === '--config') args.config = need(argv[++i], a);
    else if (a.startsWith('--config=')) args.config = a.slice(9);
    else if (a === '--password') args.password = need(argv[++i], a);
    else if (a === '--from') args.from = need(argv[++i], a);
    else if (a === '--to') args.to = need(argv[++i], a);
    else if (a === '--date') args.date = need(argv[++i], a);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (!args.command) args.command = a;
    else args.rest.push(a);
  }
  return args;
}

function need(v: string | undefined, opt: string): string {
  if (v === undefined) throw new UsageError(`${opt} needs a value`);
  return v;
}

async function readPassword(args: Args, prompt: string): Promise<string> {
  if (args.password !== undefined) return args.password;
  const rl = createInterface({ input: process.stdin, output: process.stdin.isTTY ? process.stderr : undefined, terminal: process.stdin.isTTY });
  if (process.stdin.isTTY) {
    process.stderr.write(prompt);
    // Do not echo the password.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  }
  const line = await new Promise<string>((resolve, reject) => {
    rl.once('line', resolve);
    rl.once('close', () => reject(new UsageError('no password given on stdin')));
  });
  rl.close();
  if (process.stdin.isTTY) process.stderr.write('\n');
  return line.replace(/\r$/, '');
}

function accountJid(raw: string | undefined, config: TernConfig): Jid {
  if (!raw) throw new UsageError('a JID is required, e.g. alice@example.org');
  const jid = Jid.tryParse(raw);
  if (!jid || !jid.local || jid.resource) throw new UsageError(`${raw} is not a bare JID like alice@example.org`);
  if (!config.hosts.some((h) => h.domain === jid.domain)) throw new ServerError('TERN_ERR_CONFIG', `${jid.domain} is not a host in the configuration`);
  return jid;
}

async function withHostServices<T>(config: TernConfig, domain: string, fn: (s: ReturnType<TernServer['host']>['services']) => Promise<T>): Promise<T> {
  const server = await TernServer.start(config, { listen: false, log: createLogger({ level: 'warn', format: 'pretty' }, process.stderr) });
  try {
    return await fn(server.host(domain).services);
  } finally {
    await server.stop('cli');
  }
}

async function alias(config: TernConfig, rest: string[]): Promise<number> {
  const [sub, a, b] = rest;
  if (sub === 'add') {
    const aliasJid = accountJid(a, config);
    const owner = accountJid(b, config);
    if (owner.domain !== aliasJid.domain) throw new UsageError('an alias and its owner must be on the same host');
    await withHostServices(config, aliasJid.domain, (s) => s.get('aliases').add(aliasJid.local, owner.local));
    process.stdout.write(`${aliasJid} now delivers to ${owner}\n`);
    return 0;
  }
  if (sub === 'remove') {
    const aliasJid = accountJid(a, config);
    await withHostServices(config, aliasJid.domain, (s) => s.get('aliases').remove(aliasJid.local));
    process.stdout.write(`removed ${aliasJid}\n`);
    return 0;
  }
  if (sub === 'list') {
    const owner = a?.includes('@') ? accountJid(a, config) : undefined;
    const domains = owner ? [owner.domain] : a ? [accountJid(`x@${a}`, config).domain] : config.hosts.map((h) => h.domain);
    for (const d of domains) {
      const list = await withHostServices(config, d, (s) => s.get('aliases').list(owner?.local));
      for (const e of list) process.stdout.write(`${e.alias}@${d} -> ${e.owner}@${d}\n`);
    }
    return 0;
  }
  throw new UsageError('alias needs a subcommand: add, remove or list');
}

async function msisdn(config: TernConfig, rest: string[]): Promise<number> {
  const [sub, a, b] = rest;
  const domainOf = (d: string | undefined) => accountJid(`x@${d ?? ''}`, config).domain;
  const number = (svc: { normalise(s: string): string | undefined }, raw: string | undefined) => {
    const e164 = raw === undefined ? undefined : svc.normalise(raw);
    if (!e164) throw new UsageError(`${raw ?? '(none)'} is not a valid phone number`);
    return e164;
  };
  if (sub === 'link') {
    const owner = accountJid(b, config);
    const e164 = await withHostServices(config, owner.domain, async (s) => {
      const n = number(s.get('msisdn'), a);
      await s.get('msisdn').link(owner.local, n);
      return n;
    });
    process.stdout.write(`${e164} -> ${owner} (verified)\n`);
    return 0;
  }
  if (sub === 'unlink' || sub === 'verify') {
    const domain = domainOf(b);
    const [e164, user] = await withHostServices(config, domain, async (s) => {
      const n = number(s.get('msisdn'), a);
      return [n, sub === 'unlink' ? await s.get('msisdn').unlink(n) : await s.get('msisdn').verify(n)] as const;
    });
    process.stdout.write(sub === 'unlink' ? `removed ${e164} from ${user}@${domain}\n` : `${e164} -> ${user}@${domain} verified\n`);
    return 0;
  }
  if (sub === 'show') {
    if (a?.includes('@')) {
      const owner = accountJid(a, config);
      const r = await withHostServices(config, owner.domain, (s) => s.get('msisdn').show(owner.local));
      process.stdout.write(`${owner} discoverable=${r.discoverable}\n`);
      for (const n of r.numbers) process.stdout.write(`  ${n.e164} ${n.verified ? 'verified' : 'unverified'}\n`);
      return 0;
    }
    const domain = domainOf(b);
    const r = await withHostServices(config, domain, async (s) => {
      const n = number(s.get('msisdn'), a);
      return [n, await s.get('msisdn').owner(n)] as const;
    });
    process.stdout.write(r[1] ? `${r[0]} -> ${r[1].username}@${domain} ${r[1].verified ? 'verified' : 'unverified'}\n` : `${r[0]}: no account\n`);
    return r[1] ? 0 : 1;
  }
  throw new UsageError('msisdn needs a subcommand: link, unlink, verify or show');
}

async function cpim(args: Args): Promise<number> {
  const [sub] = args.rest;
  if (sub !== 'decode' && sub !== 'encode') throw new UsageError('cpim needs a subcommand: decode or encode');
  const now = args.date === undefined ? undefined : new Date(args.date);
  if (now && Number.isNaN(now.getTime())) throw new UsageError(`--date ${args.date} is not a date`);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return cpimCommand(sub, { stdin: Buffer.concat(chunks), out: (b) => process.stdout.write(b), err: (s) => process.stderr.write(s), now });
}

async function withAccounts<T>(config: TernConfig, jid: Jid, fn: (a: AccountService) => Promise<T>): Promise<T> {
  const server = await TernServer.start(config, { listen: false, log: createLogger({ level: 'warn', format: 'pretty' }, process.stderr) });
  try {
    return await fn(server.host(jid.domain).services.get('accounts'));
  } finally {
    await server.stop('cli');
  }
}

async function start(config: TernConfig, source: string | null): Promise<void> {
  const log = createLogger(config.log);
  const server = await TernServer.start(config, { log });
  log.info({ ports: server.ports, hosts: config.hosts.map((h) => h.domain), config: source ?? '(defaults)' }, 'ready');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.stop(signal).then(() => process.exit(0), (err) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (!args.command || args.command === 'help') {
    process.stdout.write(USAGE);
    return args.command ? 0 : 2;
  }
  if (args.command === 'cpim') return cpim(args);
  const { config, source } = loadConfig(args.config);
  switch (args.command) {
    case 'start':
      await start(config, source);
      return -1; // keeps running
    case 'adduser': {
      const jid = accountJid(args.rest[0], config);
      const password = await readPassword(args, `password for ${jid}: `);
      await withAccounts(config, jid, (a) => a.create(jid.local, password));
      process.stdout.write(`created ${jid}\n`);
      return 0;
    }
    case 'passwd': {
      const jid = accountJid(args.rest[0], config);
      const password = await readPassword(args, `new password for ${jid}: `);
      await withAccounts(config, jid, (a) => a.setPassword(jid.local, password));
      process.stdout.write(`password changed for ${jid}\n`);
      return 0;
    }
    case 'deluser': {
      const jid = accountJid(args.rest[0], config);
      await withAccounts(config, jid, (a) => a.delete(jid.local));
      process.stdout.write(`deleted ${jid}\n`);
      return 0;
    }
    case 'alias':
      return alias(config, args.rest);
    case 'msisdn':
      return msisdn(config, args.rest);
    case 'cert': {
      const [sub, ...rest] = args.rest;
      if (sub === 'generate') {
        const domains = rest.length ? rest : config.hosts.map((h) => h.domain);
        const { generated } = ensureLocalCertificates(config.tls.certs_dir, domains);
        for (const d of domains) process.stdout.write(`${d}: ${generated.includes(d) ? 'generated' : 'already present'} in ${config.tls.certs_dir}\n`);
        return 0;
      }
      if (sub === 'import') {
        const [domain, cert, key] = rest;
        if (!domain || !cert || !key) throw new UsageError('cert import needs DOMAIN CERT KEY');
        importCertificate(config.tls.certs_dir, domain, cert, key);
        const c = checkCertificate(config.tls.certs_dir, domain);
        process.stdout.write(`imported certificate for ${domain} (issuer ${c.issuer ?? '?'}, valid until ${c.notAfter?.toISOString() ?? '?'})\n`);
        return 0;
      }
      throw new UsageError('cert needs a subcommand: generate or import');
    }
    case 'storage': {
      const out = (line: string) => process.stdout.write(`${line}\n`);
      const [sub] = args.rest;
      if (sub === 'check') return (await storageCheck(config, out)) ? 0 : 1;
      if (sub === 'migrate') {
        if (args.from !== 'embedded' || args.to !== 'mongodb') throw new UsageError('storage migrate supports --from embedded --to mongodb');
        return (await storageMigrate(config, out)) ? 0 : 1;
      }
      throw new UsageError('storage needs a subcommand: check or migrate');
    }
    case 'check':
      return (await runChecks(config, source, (line) => process.stdout.write(`${line}\n`))) ? 0 : 1;
    default:
      throw new UsageError(`unknown command ${args.command}`);
  }
}

main(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exitCode = code;
}, (err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`tern: ${err.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (err instanceof ServerError && err.code === 'TERN_ERR_CONFIG') {
    process.stderr.write(`tern: ${err.message.replace(/^TERN_ERR_CONFIG: /, '')}\n`);
    process.exitCode = 78;
  } else if (err instanceof ServerError || err instanceof StanzaError) {
    process.stderr.write(`tern: ${err instanceof StanzaError ? (err.text ?? err.condition) : err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`tern: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
});
