/** Registrations per network address in a fixed window, with bounded memory. */
import { isIPv6 } from 'node:net';

/** Beyond this many tracked addresses the table starts over: an attacker cannot grow it forever. */
const MAX_KEYS = 10_000;

export class RateLimit {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(private readonly max: number, private readonly windowMs: number, private readonly now: () => number = Date.now) {}

  /** Counts one event for `key`; false (and nothing counted) when the key is at its limit. */
  take(key: string): boolean {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) {
      if (!w && this.windows.size >= MAX_KEYS) this.windows.clear();
      w = { start: t, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= this.max) return false;
    w.count++;
    return true;
  }

  /** Gives back what `take` counted, for an attempt that did not create anything. */
  refund(key: string): void {
    const w = this.windows.get(key);
    if (w && w.count > 0) w.count--;
  }
}

/**
 * The unit a limit applies to: an IPv4 address (also when mapped into IPv6), or an IPv6 /64, since
 * one subscriber usually holds a whole /64 and could otherwise rotate addresses at will.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
