/** Exponential backoff with full jitter, so a thousand workers that lost one coordinator do not return in step. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly baseMs = 500, private readonly capMs = 60_000, private readonly random = Math.random) {}

  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
