/**
 * One queue per key: tasks for the same key run one after another, in submission order; different
 * keys never wait for each other. Used wherever a module does read-modify-write across an await
 * (a user's roster, offline store) so two changes cannot interleave and lose one. Idle keys cost
 * nothing.
 */
interface Lane { tail: Promise<void>; pending: number }

export class KeyedSerial {
  private readonly lanes = new Map<string, Lane>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { tail: Promise.resolve(), pending: 0 };
      this.lanes.set(key, lane);
    }
    const l = lane;
    l.pending++;
    const result = l.tail.then(async () => {
      try {
        return await task();
      } finally {
        // Before the caller sees the outcome, so busy() is already accurate when it does.
        if (--l.pending === 0 && this.lanes.get(key) === l) this.lanes.delete(key);
      }
    });
    l.tail = result.then(noop, noop);
    return result;
  }

  /** undefined when nothing is queued or running for `key`; else settles when what is queued now has run. */
  busy(key: string): Promise<void> | undefined {
    return this.lanes.get(key)?.tail;
  }
}

function noop(): void {}
