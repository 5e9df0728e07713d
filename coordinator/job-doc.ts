/** Turns a job's Redis hash into the public job document (protocol/http.ts JobDoc). */
import { isErrorCode, type JobDoc, type WireError } from '../protocol/index.js';

const iso = (ms: string | undefined): string | null => (ms ? new Date(Number(ms)).toISOString() : null);
const json = (s: string | undefined): unknown => (s ? JSON.parse(s) : null);

/** A failed unit's record in the job's `failed` hash: {code, message} JSON, as fail_unit (lib.lua) writes it. */
export function storedFailure(stored: string): WireError {
  try {
    const e = JSON.parse(stored) as { code?: unknown; message?: unknown };
    if (isErrorCode(e.code) && typeof e.message === 'string') return { code: e.code, message: e.message };
  } catch {
    /* not JSON: a plain reason written by an older coordinator */
  }
  return { code: 'UNIT_ERROR', message: stored };
}

export function toJobDoc(h: Record<string, string>, failed: Record<string, string>, now: number): JobDoc {
  const unitsTotal = Number(h.unitsTotal);
  const itemsDone = Number(h.itemsDone ?? 0);
  const itemsTotal = Number(h.itemsTotal ?? unitsTotal);
  const started = h.startedAt ? Number(h.startedAt) : null;
  const end = h.finishedAt ? Number(h.finishedAt) : now;
  const elapsedS = started ? Math.max((end - started) / 1000, 1e-3) : 0;
  const rate = elapsedS > 0 ? itemsDone / elapsedS : 0;
  const active = h.state === 'queued' || h.state === 'running';
  return {
    id: h.id,
    kind: h.kind,
    ...(h.name ? { name: h.name } : {}),
    state: h.state as JobDoc['state'],
    createdAt: iso(h.createdAt)!,
    startedAt: iso(h.startedAt),
    finishedAt: iso(h.finishedAt),
    owner: h.owner || null,
    public: h.public === '1',
    priority: Number(h.priority),
    weight: Number(h.weight),
    params: json(h.params),
    policy: json(h.policy),
    progress: {
      unitsTotal,
      unitsDone: Number(h.unitsDone ?? 0),
      unitsFailed: Number(h.unitsFailed ?? 0),
      unitsInProgress: Math.max(0, Number(h.inProgress ?? 0)),
      opsDone: Number(h.opsDone ?? 0),
      opsTotal: Number(h.opsTotal ?? 0),
      itemsDone,
      itemsTotal,
      itemName: h.itemName || 'units',
      rate,
      etaS: active && rate > 0 ? Math.max(0, (itemsTotal - itemsDone) / rate) : null,
    },
    failedUnits: Object.entries(failed)
      .map(([unit, stored]) => {
        const { code, message } = storedFailure(stored);
        return { unit: Number(unit), code, reason: message };
      })
      .sort((a, b) => a.unit - b.unit),
    result: json(h.result),
    error: json(h.error) as JobDoc['error'],
  };
}
