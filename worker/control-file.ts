/**
 * Where a running worker's control interface listens, and the token that opens it: `control.json` in
 * the config directory, mode 0600, so only the user who runs the worker (and root) can control it. The
 * worker writes it at start and removes it at exit; `idlegrid ctl` reads it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../protocol/index.js';
import { writeConfigFile } from './config-file.js';
import { lockHolder } from './instance-lock.js';

export const ControlEndpoint = z.object({ port: z.number().int().min(1).max(65535), token: z.string().min(32), pid: z.number().int() });
export type ControlEndpoint = z.infer<typeof ControlEndpoint>;

const file = (configDir: string) => join(configDir, 'control.json');

export const newToken = (): string => randomBytes(32).toString('base64url');

export function writeControlFile(configDir: string, ep: ControlEndpoint): void {
  writeConfigFile(file(configDir), JSON.stringify(ep));
}

export function readControlFile(configDir: string): ControlEndpoint {
  const path = file(configDir);
  const holder = lockHolder(configDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    if (holder) throw new Error(`the worker (pid ${holder.pid}) running with config directory ${configDir} has no control interface yet (no ${path}): try again in a moment; if this persists, restart that worker`);
    throw new Error(`no worker is running with config directory ${configDir} (no control.json there); start one with \`idlegrid worker\`, or pass the --config-dir it uses`);
  }
  let parsed: ReturnType<typeof ControlEndpoint.safeParse> | undefined;
  let problem: string;
  try {
    parsed = ControlEndpoint.safeParse(JSON.parse(text));
    problem = parsed.success ? '' : describeIssues(parsed.error);
  } catch (err) {
    problem = `not JSON: ${(err as Error).message}`;
  }
  if (parsed?.success) return parsed.data;
  // The worker writes this file whole at start (and removes it at exit): a damaged one is left by
  // something else, and what to do depends on whether a worker is running.
  const todo = holder
    ? `restart the worker (pid ${holder.pid}) to rewrite it`
    : 'no worker is running with this config directory: delete the file, then start one with `idlegrid worker`';
  throw new Error(`${path} is damaged (${problem.slice(0, 200)}): ${todo}`);
}

/** Remove the file if it is still ours (a second worker on the same directory may have replaced it). */
export function removeControlFile(configDir: string, pid: number): void {
  try {
    if (ControlEndpoint.parse(JSON.parse(readFileSync(file(configDir), 'utf8'))).pid === pid) rmSync(file(configDir), { force: true });
  } catch {
    /* already gone */
  }
}
