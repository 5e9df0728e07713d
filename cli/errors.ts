/**
 * What the CLI says when a command fails: one line, `error: CODE: message`, never a stack trace. Codes
 * are those of protocol/errors.ts (ERRORS: the coordinator's and the kinds'; CLIENT_ERRORS: the
 * client's own); the message names what was wrong and what to do. A code is kept as a string: a newer
 * coordinator may send one this CLI does not know.
 */
import { printable } from '../protocol/index.js';

export class CliError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The line to print for an error thrown by a command. */
export function errorLine(err: unknown): string {
  if (err instanceof CliError) return `error: ${printable(err.code)}: ${printable(err.message)}`;
  const e = err as { message?: unknown; code?: unknown; path?: unknown; syscall?: unknown };
  // A file the user named is missing or unreadable: say which, in words, without Node's internals.
  if (typeof e?.code === 'string' && typeof e.path === 'string' && /^E[A-Z]+$/.test(e.code)) {
    const why: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a folder, not a file', ENOTDIR: 'a part of the path is not a folder' };
    return `error: ${printable(e.path)}: ${why[e.code] ?? `${e.code} (${String(e.syscall ?? 'open')})`}`;
  }
  return `error: ${printable(typeof e?.message === 'string' ? e.message : String(err))}`;
}
