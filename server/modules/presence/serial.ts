/**
 * Per-key serialisation of async work. A roster write is read-modify-write across an await (the
 * store), so two changes to one user's roster must not interleave or one would be lost.
 */
export type Serial = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

export function keyedSerial(): Serial {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const prev = tails.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(() => undefined, () => undefined);
    tails.set(key, tail);
    // Keys of users who went quiet must not accumulate.
    void tail.then(() => { if (tails.get(key) === tail) tails.delete(key); });
    return run;
  };
}
