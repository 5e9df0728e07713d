/**
 * The host's persistent identity: a random host id and the secret that proves it, created on first run
 * in the user's config directory (mode 0600) and reused afterwards, so a host keeps its credit, trust
 * and leases across restarts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeConfigFile } from './config-file.js';

export interface HostIdentity {
  hostId: string;
  hostSecret: string;
}

export function defaultConfigDir(): string {
  if (process.env.IDLEGRID_CONFIG_DIR) return process.env.IDLEGRID_CONFIG_DIR;
  if (process.platform === 'win32' && process.env.APPDATA) return join(process.env.APPDATA, 'idlegrid');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'idlegrid');
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'idlegrid');
}

export function loadIdentity(configDir: string): HostIdentity {
  const file = join(configDir, 'host.json');
  try {
    const id = JSON.parse(readFileSync(file, 'utf8')) as HostIdentity;
    if (/^[A-Za-z0-9_-]{8,64}$/.test(id.hostId) && id.hostSecret?.length >= 32) return id;
  } catch {
    /* first run, or an unreadable file: make a new identity */
  }
  const id: HostIdentity = {
    hostId: `h-${randomBytes(12).toString('base64url')}`,
    hostSecret: randomBytes(32).toString('base64url'),
  };
  writeConfigFile(file, JSON.stringify(id, null, 2));
  return id;
}
