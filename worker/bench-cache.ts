/**
 * The last `idlegrid worker --bench` result, kept in the config directory: sent to the coordinator in
 * hello (operations per second of one thread, by kind) and used to size the work buffer before this
 * worker has measured a unit of a kind itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeConfigFile } from './config-file.js';

export const BenchFile = z.object({
  at: z.string(),
  cpuModel: z.string().optional(),
  threads: z.number().int().min(1),
  /** kind -> { version, opsPerS of one thread, opsPerS of all threads together }. */
  kinds: z.record(z.string(), z.object({ version: z.number().int(), opsPerSThread: z.number().nonnegative(), opsPerSAll: z.number().nonnegative() })),
});
export type BenchFile = z.infer<typeof BenchFile>;

const path = (configDir: string) => join(configDir, 'bench.json');

export function saveBench(configDir: string, bench: BenchFile): void {
  writeConfigFile(path(configDir), `${JSON.stringify(bench, null, 2)}\n`);
}

/** Per-thread speeds of the kinds whose version still matches, or {} when there is no usable file. */
export function loadBenchRates(configDir: string, versions: Record<string, number>): Record<string, number> {
  try {
    const b = BenchFile.parse(JSON.parse(readFileSync(path(configDir), 'utf8')));
    const out: Record<string, number> = {};
    for (const [kind, r] of Object.entries(b.kinds)) if (versions[kind] === r.version && r.opsPerSThread > 0) out[kind] = r.opsPerSThread;
    return out;
  } catch {
    return {};
  }
}
