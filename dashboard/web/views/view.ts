/** What every page of the dashboard is: mounted into the main element, fed snapshots, destroyed on navigation. */
import type { Snapshot } from '../api.js';

export interface View {
  update?(s: Snapshot): void;
  destroy?(): void;
}

export interface Context {
  /** The latest snapshot, if one has arrived. */
  snapshot: Snapshot | null;
}

export type Page = (root: HTMLElement, ctx: Context, ...params: string[]) => View;

/** Calls `load` on the first snapshot and then at most every `everyMs`: for pages whose data has no push of its own. */
export function throttled(load: () => Promise<void>, everyMs: number): () => void {
  let last = 0;
  let busy = false;
  return () => {
    if (busy || Date.now() - last < everyMs) return;
    busy = true;
    last = Date.now();
    void load().finally(() => (busy = false));
  };
}
