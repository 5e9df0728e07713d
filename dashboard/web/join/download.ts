/**
 * A unit's input slice, fetched from the coordinator that served the page, with the lease's proof (the
 * host id and secret: the coordinator serves a slice only to the host holding a live lease on its unit),
 * and checked against the hash the coordinator recorded at submission before anything computes on it.
 */
import type { WorkUnit } from '../../../protocol/messages.js';
import type { HostIdentity } from './identity.js';
import { sha256Hex } from './sha256.js';

export class UnitFailure extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export async function downloadInput(unit: WorkUnit, identity: HostIdentity): Promise<Uint8Array> {
  const input = unit.input!;
  let res: Response;
  try {
    res = await fetch(input.path, { headers: { 'x-idlegrid-host': identity.hostId, 'x-idlegrid-secret': identity.hostSecret }, cache: 'no-store' });
  } catch (err) {
    throw new UnitFailure('INPUT_HASH', `input download failed: ${(err as Error).message}`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    const e = body?.error;
    // The same code as the Node worker's for an input it could not get (worker/download.ts), the coordinator's reason in the message.
    throw new UnitFailure('INPUT_HASH', `input download failed: HTTP ${res.status}${e ? ` ${e.code}: ${e.message}` : ''}`);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length !== input.length) throw new UnitFailure('INPUT_HASH', `input slice is ${bytes.length} bytes, the unit says ${input.length}`);
  const sha = await sha256Hex(bytes);
  if (sha !== input.sha256) throw new UnitFailure('INPUT_HASH', `input slice hash ${sha} does not match ${input.sha256}`);
  return bytes;
}
