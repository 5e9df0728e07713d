/**
 * What a volunteer is told when the coordinator refuses this worker for good (link.ts: a hello refused
 * with a code that never succeeds on retry): which file or flag is wrong and how to put it right, since
 * starting again unchanged would only be refused again.
 */
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '../protocol/index.js';
import { accountFile } from './account-file.js';

export interface RefusalContext {
  coordinator: string;
  configDir: string;
  hostId: string;
  /** The account key in use and where it came from, if any. */
  account?: { key: string; from: 'flag' | 'file' };
}

/** Exit status of a worker refused for good: sysexits' EX_CONFIG, which the systemd unit does not restart. */
export const REFUSED_EXIT = 78;

const shown = (key: string) => `${key.slice(0, 8)}...`;

export function refusalAdvice(err: { code: string; message: string }, ctx: RefusalContext): string {
  const at = `the coordinator at ${ctx.coordinator}`;
  if (err.code === 'UNAUTHORIZED' && ctx.account?.from === 'flag') {
    return `${at} does not know the account key given with --account (${shown(ctx.account.key)}): check it (\`idlegrid account create\` makes one, and prints its key once); nothing was saved`;
  }
  if (err.code === 'UNAUTHORIZED' && ctx.account?.from === 'file') {
    const file = accountFile(ctx.configDir);
    return `${at} does not know the account key saved in ${file} (${shown(ctx.account.key)}): start once with --account KEY to replace it, or delete ${file} to compute without an account`;
  }
  if (err.code === 'HOST_AUTH') {
    const file = join(ctx.configDir, 'host.json');
    return `${at} knows host ${ctx.hostId} by another secret: ${file} was changed, or copied from another machine; delete it to join as a new host`;
  }
  if (err.code === 'PROTOCOL_VERSION') {
    return `${at} speaks another protocol version (${err.message}; this worker speaks ${PROTOCOL_VERSION}): install the idlegrid version the coordinator runs`;
  }
  return `${at} refused this worker: ${err.code}: ${err.message}`;
}
