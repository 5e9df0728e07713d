import { arch, availableParallelism, cpus, platform, totalmem } from 'node:os';
import type { HostFacts } from '../protocol/index.js';

export function hostFacts(): HostFacts {
  return {
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    platform: platform(),
    arch: arch(),
    cpuModel: cpus()[0]?.model?.slice(0, 128),
    node: process.version,
  };
}
