/**
 * A stream's inbound elements, handled one at a time in arrival order (ARCHITECTURE: per-session
 * order and back-pressure). A handler that returns a promise holds the later elements here and
 * pauses the socket; once the queue has drained, `resume` is called (the owner may still hold the
 * socket back, for a rate limit say). Used by client and server-to-server streams alike.
 */
export interface InOrderOwner<T> {
  handle(item: T): void | Promise<void>;
  /** A handler threw or rejected. */
  failed(err: unknown): void;
  closed(): boolean;
  pause(): void;
  resume(): void;
}

export class InOrder<T> {
  private readonly waiting: T[] = [];
  private running = false;

  constructor(private readonly owner: InOrderOwner<T>) {}

  /** A handler is still working on an earlier element. */
  get busy(): boolean { return this.running; }

  push(item: T): void {
    if (this.running) {
      this.waiting.push(item);
      this.owner.pause();
      return;
    }
    this.run(item);
  }

  /** Forgets what waits (the stream is over). */
  clear(): void {
    this.waiting.length = 0;
  }

  private run(item: T): void {
    let r: void | Promise<void>;
    try {
      r = this.owner.handle(item);
    } catch (err) {
      return this.owner.failed(err);
    }
    if (r) {
      this.running = true;
      this.owner.pause();
      r.then(() => this.drain(), (err) => { this.owner.failed(err); this.drain(); });
    }
  }

  private drain(): void {
    this.running = false;
    while (this.waiting.length && !this.running && !this.owner.closed()) this.run(this.waiting.shift()!);
    if (!this.running && !this.owner.closed()) this.owner.resume();
  }
}
