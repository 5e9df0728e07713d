/**
 * Exponential backoff with full jitter, as the Node worker's (worker/backoff.ts, which the page cannot
 * import), so that tabs that lost a coordinator do not come back in step.
 */
export class Backoff {
  private attempt = 0;
  constructor(private readonly baseMs: number, private readonly capMs: number) {}

  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
