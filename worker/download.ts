/**
 * A unit's input slice, fetched over HTTP from the coordinator (which serves it only to the host that
 * holds the lease, proven by the host secret) and checked against the hash the coordinator recorded at
 * submission before anything computes on it.
 */
import { createHash } from 'node:crypto';
import type { WorkUnit } from '../protocol/index.js';
import type { HostIdentity } from './identity.js';

export async function downloadInput(coordinator: string, identity: HostIdentity, unit: WorkUnit): Promise<Uint8Array> {
  const url = coordinator.replace(/\/$/, '') + unit.input!.path;
  const headers = { 'x-idlegrid-host': identity.hostId, 'x-idlegrid-secret': identity.hostSecret };
  const res = await fetch(url, { headers });
  if (!res.ok) throw Object.assign(new Error(`input download failed: HTTP ${res.status}`), { code: 'INPUT_HASH' });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== unit.input!.sha256) throw Object.assign(new Error(`input slice hash ${sha} does not match ${unit.input!.sha256}`), { code: 'INPUT_HASH' });
  return bytes;
}
