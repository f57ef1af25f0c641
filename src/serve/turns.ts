/**
 * One request's work per turn of the event loop, in arrival order.
 *
 * Node (libuv ≥ 1.45) accepts one new connection per turn of the event loop. A turn that runs
 * every request whose bytes arrived in it is as long as all their work together (tens of
 * milliseconds under load), so a burst of new connections waited one such turn each: with 100
 * connections opened at once, the last one's first request waited seconds. A request's work that
 * waits for `next()` runs alone in a later turn, so each turn is one request long and accepting,
 * reading and answering go on between them.
 */
export class Turns {
  private readonly waiting: (() => void)[] = [];
  private head = 0;
  private scheduled = false;

  /** Resolves in a later turn, after every earlier caller's. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.release);
      }
    });
  }

  /** Lets the oldest caller go on; the next one waits for the next turn (an immediate queued
   * while immediates run belongs to the next turn). */
  private readonly release = (): void => {
    const go = this.waiting[this.head++]!;
    if (this.head === 4096) {
      // Under steady load the queue may never empty: drop the callers already let go.
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    if (this.head < this.waiting.length) setImmediate(this.release);
    else {
      this.waiting.length = 0;
      this.head = 0;
      this.scheduled = false;
    }
    go();
  };
}
