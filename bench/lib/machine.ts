/** What machine a run was measured on: written at the top of docs/benchmarks.md. */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { redisVersion } from './redis.js';

export interface MachineFacts {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  redis: string;
  os: string;
  date: string;
  loadAvg: string;
}

function cpuModel(): string {
  const model = cpus()[0]?.model?.trim() ?? 'unknown';
  try {
    // Virtual machines often report a generic model name; the flags say what the kernels can use.
    const flags = /^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1].split(' ') ?? [];
    const simd = ['avx512f', 'avx2', 'sse4_2'].find((f) => flags.includes(f));
    return simd ? `${model} (${simd})` : model;
  } catch {
    return model;
  }
}

export function machineFacts(): MachineFacts {
  return {
    cpu: cpuModel(),
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    redis: redisVersion(),
    os: `${process.platform} ${release()}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadAvg: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

export const describeMachine = (m: MachineFacts): string =>
  `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; Node ${m.node}, Redis ${m.redis}; ${m.os}`;
