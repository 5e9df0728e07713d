/**
 * Where a running worker's control interface listens, and the token that opens it: `control.json` in
 * the config directory, mode 0600, so only the user who runs the worker (and root) can control it. The
 * worker writes it at start and removes it at exit; `idlegrid ctl` reads it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeConfigFile } from './config-file.js';

export const ControlEndpoint = z.object({ port: z.number().int().min(1).max(65535), token: z.string().min(32), pid: z.number().int() });
export type ControlEndpoint = z.infer<typeof ControlEndpoint>;

const file = (configDir: string) => join(configDir, 'control.json');

export const newToken = (): string => randomBytes(32).toString('base64url');

export function writeControlFile(configDir: string, ep: ControlEndpoint): void {
  writeConfigFile(file(configDir), JSON.stringify(ep));
}

export function readControlFile(configDir: string): ControlEndpoint {
  let text: string;
  try {
    text = readFileSync(file(configDir), 'utf8');
  } catch {
    throw new Error(`no worker is running with config directory ${configDir} (no control.json there); start one with \`idlegrid worker\`, or pass the --config-dir it uses`);
  }
  const parsed = ControlEndpoint.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file(configDir)} is damaged; restart the worker to rewrite it`);
  return parsed.data;
}

/** Remove the file if it is still ours (a second worker on the same directory may have replaced it). */
export function removeControlFile(configDir: string, pid: number): void {
  try {
    if (ControlEndpoint.parse(JSON.parse(readFileSync(file(configDir), 'utf8'))).pid === pid) rmSync(file(configDir), { force: true });
  } catch {
    /* already gone */
  }
}
