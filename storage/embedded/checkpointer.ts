/**
 * WAL checkpoints on a thread of their own (SQLite's WAL mode, https://sqlite.org/wal.html §3).
 *
 * A checkpoint copies the WAL back into the database file and, with synchronous=NORMAL or FULL,
 * fsyncs both. Left to SQLite (wal_autocheckpoint), it runs inside whichever commit crosses the
 * threshold, on the event loop: every few thousand pages, one commit stalls for the copy and two
 * fsyncs, and every stanza waits behind it. Here a worker thread with its own connection runs
 * PASSIVE checkpoints, which never block the writer and never take a writer's lock, so the event
 * loop only ever pays for its own commits. Durability does not change: a commit is in the WAL
 * before it returns, as before; the checkpoint only moves it to its final place.
 *
 * The worker's code is evaluated in the thread (no file to resolve, so it runs the same from
 * dist/ and under the test loader).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface Checkpointer {
  /** Runs a last checkpoint and ends the thread. */
  stop(): Promise<void>;
}

const STOP_TIMEOUT_MS = 5000;

interface WorkerInput { module: string; file: string; intervalMs: number; busyTimeoutMs: number }

/** Plain JavaScript run in the thread (a string: a compiled function's source may refer to the compiler's helpers). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
const checkpoint = (mode) => {
  try { db.pragma('wal_checkpoint(' + mode + ')'); } catch (err) { parentPort.postMessage({ error: String(err) }); }
};
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint('PASSIVE');
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

export function startCheckpointer(file: string, opts: { intervalMs: number; busyTimeoutMs: number; onError(message: string): void }): Checkpointer {
  const input: WorkerInput = {
    module: createRequire(import.meta.url).resolve('better-sqlite3'),
    file,
    intervalMs: opts.intervalMs,
    busyTimeoutMs: opts.busyTimeoutMs,
  };
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: input });
  // Never the reason a process stays alive; stop() is what a clean shutdown calls.
  worker.unref();
  let stopped: Promise<void> | undefined;
  let exited = false;
  worker.once('exit', () => { exited = true; });
  worker.on('message', (m: { error?: string }) => { if (m.error) opts.onError(m.error); });
  worker.on('error', (err) => opts.onError(String(err)));
  return {
    stop: () => stopped ??= new Promise<void>((resolve) => {
      if (exited) { resolve(); return; }
      worker.once('exit', () => resolve());
      worker.on('message', (m: { stopped?: boolean }) => { if (m.stopped) void worker.terminate(); });
      worker.postMessage('stop');
      // A thread stuck in a checkpoint must not hold up a shutdown: its work is redone at the next open.
      setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS).unref();
    }),
  };
}
