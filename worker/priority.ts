/**
 * Keeping the worker behind everything else. Each compute thread sets its own nice to 19 (thread.ts).
 * On Linux with scheduler autogroups (the desktop default) that is not enough: the kernel first shares
 * CPU time between sessions (one per terminal or login), and nice only orders the threads inside one,
 * so a worker in its own terminal would get half of a busy core against the user's editor. The cure is
 * to lower the whole autogroup: done here when the worker leads its own session (`setsid idlegrid
 * worker`, or a service), where nothing else shares the group; otherwise the start-up listing says how.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export function lowerSessionPriority(proc = '/proc'): string {
  if (process.platform !== 'linux') return 'compute threads at the lowest priority';
  let enabled = '0';
  try {
    enabled = readFileSync(`${proc}/sys/kernel/sched_autogroup_enabled`, 'utf8').trim();
  } catch {
    /* no autogroup support in this kernel */
  }
  if (enabled !== '1') return 'compute threads at nice 19';
  const stat = readFileSync(`${proc}/self/stat`, 'utf8');
  const session = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  if (session !== process.pid) {
    return 'compute threads at nice 19, but this terminal session competes as a whole with the others (Linux autogroup): start the worker with `setsid idlegrid worker` or as a service to put it behind them';
  }
  try {
    writeFileSync(`${proc}/self/autogroup`, '19');
    return 'compute threads at nice 19, and this session\'s autogroup at nice 19';
  } catch (err) {
    return `compute threads at nice 19; could not lower the session's autogroup (${(err as Error).message})`;
  }
}
