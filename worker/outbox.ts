/**
 * What a unit ended with waits here, on disk, until the coordinator acknowledges it: a result, or the
 * failure of a unit that could not be computed. Either one produced while the coordinator is down, or
 * just before the worker is killed, is delivered on the next connection; a failure that was lost would
 * leave its unit waiting for its deadline instead of going to another host at once.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { FailureItem, ResultItem } from '../protocol/index.js';
import { ensureConfigDir, writeConfigFile } from './config-file.js';
import { unitFailure } from './unit-failure.js';

export type ResultItem = z.infer<typeof ResultItem>;
export type FailureItem = z.infer<typeof FailureItem>;

/** A finished unit's result as sent, and its operations (kept here only, for the credit claimed when it is accepted). */
export interface PendingResult {
  type: 'result';
  item: ResultItem;
  ops: number;
}

export interface PendingFailure {
  type: 'failure';
  item: FailureItem;
}

export type Pending = PendingResult | PendingFailure;

const ResultFile = z.looseObject({ type: z.literal('result').optional(), ops: z.number().nonnegative().default(0) });
const FailureFile = z.object({ type: z.literal('failure'), leaseId: z.string(), code: z.unknown(), message: z.unknown() });

export class Outbox {
  private readonly dir: string;

  constructor(configDir: string) {
    this.dir = join(configDir, 'outbox');
    ensureConfigDir(this.dir);
  }

  add(p: Pending): void {
    const file = join(this.dir, `${p.item.leaseId}.json`);
    // Written then renamed: a crash mid-write never leaves a half result that looks whole.
    writeConfigFile(file, JSON.stringify(p.type === 'result' ? { type: 'result', ops: p.ops, ...p.item } : { type: 'failure', ...p.item }));
  }

  /** The entry for a lease, removed from disk; undefined when there was none. */
  take(leaseId: string): Pending | undefined {
    const file = join(this.dir, `${leaseId}.json`);
    const p = this.read(file);
    rmSync(file, { force: true });
    return p;
  }

  /** Entries waiting, without reading them. */
  count(): number {
    return readdirSync(this.dir).filter((f) => f.endsWith('.json')).length;
  }

  all(): Pending[] {
    const out: Pending[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      const p = this.read(join(this.dir, f));
      // A damaged file cannot be delivered, and would stop --finish from ever ending: it goes.
      if (p) out.push(p);
      else rmSync(join(this.dir, f), { force: true });
    }
    return out;
  }

  /** One file; files of earlier versions hold a bare result (no `type`). */
  private read(file: string): Pending | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return undefined;
    }
    const failure = FailureFile.safeParse(raw);
    if (failure.success) {
      const item = FailureItem.safeParse({ leaseId: failure.data.leaseId, ...unitFailure(failure.data) });
      return item.success ? { type: 'failure', item: item.data } : undefined;
    }
    const result = ResultFile.safeParse(raw);
    if (!result.success) return undefined;
    const { type: _type, ops, ...rest } = result.data;
    const item = ResultItem.safeParse(rest);
    return item.success ? { type: 'result', item: item.data, ops } : undefined;
  }
}
