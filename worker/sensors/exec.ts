/** Run a small helper program (gdbus, xprintidle, ioreg, ...) and return its stdout, or null if it failed. */
import { execFile } from 'node:child_process';

export type Exec = (cmd: string, args: string[]) => Promise<string | null>;

/** Helpers answer in milliseconds; one that hangs (a D-Bus service that went away) is cut off. */
export const execTool: Exec = (cmd, args) =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: 2_000, windowsHide: true, maxBuffer: 1 << 20 }, (err, stdout) => resolve(err ? null : stdout));
  });
