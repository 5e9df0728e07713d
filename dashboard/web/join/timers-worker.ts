/**
 * The /join page's clock: a dedicated Web Worker that keeps every timer the volunteer needs (heartbeats,
 * retries, reconnects). Chrome throttles the timers of a hidden tab's main thread, to one wake-up a minute
 * after a while, but not those of dedicated workers: kept here, a tab in the background still says its
 * heartbeat on time and asks for work when the coordinator said to.
 */
import type { FromTimers, ToTimers } from './messages.js';

const scope = self as unknown as { postMessage(m: FromTimers): void; onmessage: ((e: MessageEvent<ToTimers>) => void) | null };
const live = new Map<number, { handle: number; repeat: boolean }>();

scope.onmessage = (e) => {
  const m = e.data;
  const old = live.get(m.id);
  if (old) (old.repeat ? clearInterval : clearTimeout)(old.handle);
  live.delete(m.id);
  if (m.op === 'clear') return;
  const fire = () => {
    if (m.op === 'after') live.delete(m.id);
    scope.postMessage({ id: m.id });
  };
  live.set(m.id, { handle: (m.op === 'every' ? setInterval : setTimeout)(fire, m.ms) as unknown as number, repeat: m.op === 'every' });
};
