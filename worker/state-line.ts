/**
 * The worker's state line ("running", "paused: on battery", "waiting for work: no jobs are queued"),
 * derived in one place from the reasons the worker keeps, so the terminal, the logs, `ctl status` and
 * the dashboard (through the heartbeat) always say the same thing.
 */
export interface StateFacts {
  /** Why computing is held (the governor or `ctl pause`), or null. */
  hold: string | null;
  finishing: boolean;
  /** A coordinator has said which units this host holds. */
  welcomed: boolean;
  running: number;
  queued: number;
  outbox: number;
  /** Why the link is down, or null when connected. */
  down: string | null;
  /** The coordinator's last "no work" message, or null. */
  noWork: string | null;
}

export function stateLine(f: StateFacts): string {
  if (f.hold !== null) return `paused: ${f.hold}`;
  if (f.finishing) {
    const left = f.running + f.queued;
    if (!left && !f.welcomed) return `finishing: waiting for the coordinator to say which units this host holds (${f.down ?? 'connecting'})`;
    return `finishing the units in hand (${left} left${f.outbox ? `, ${f.outbox} result(s) to deliver` : ''})`;
  }
  if (f.running) return 'running';
  if (f.down) return `waiting for work: ${f.down}`;
  if (f.noWork) return `waiting for work: ${f.noWork}`;
  return 'waiting for work';
}
