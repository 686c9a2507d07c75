/**
 * Structured logs with pino. Levels come from config. Passwords, SASL payloads and message bodies
 * are never logged at info; the redact list is a second line of defence for fields that might
 * carry them by mistake.
 */
import pino, { type Logger } from 'pino';

export interface LogConfig { level: string; format: 'json' | 'pretty' }

const REDACT = ['password', '*.password', 'body', '*.body', 'sasl', '*.sasl', 'credentials', '*.credentials'];

export function createLogger(cfg: LogConfig, destination: NodeJS.WritableStream = process.stdout): Logger {
  const opts: pino.LoggerOptions = { level: cfg.level, base: { name: 'tern' }, redact: { paths: REDACT, censor: '[redacted]' } };
  if (cfg.format === 'pretty') {
    return pino(opts, { write: (line: string) => destination.write(pretty(line)) });
  }
  return pino(opts, destination === process.stdout ? pino.destination({ dest: 1, sync: false }) : (destination as pino.DestinationStream));
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** One human-readable line: time, level, message, then the remaining fields as key=value. */
function pretty(line: string): string {
  const o = JSON.parse(line) as Record<string, unknown>;
  const { time, level, msg, name: _n, pid: _p, hostname: _h, ...rest } = o;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');
  return `${new Date(time as number).toISOString()} ${LEVELS[level as number] ?? level} ${msg ?? ''}${fields ? ` ${fields}` : ''}\n`;
}
