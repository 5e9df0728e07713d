/** Everything the governor reads about the machine, gathered so a test can swap any part. */
import { platform, totalmem } from 'node:os';
import { batteryReader } from './battery.js';
import { CpuLoad } from './cpu-load.js';
import { execTool } from './exec.js';
import { detectIdleSource } from './idle-platforms.js';
import type { IdleSource } from './idle.js';
import { temperatureReader } from './temperature.js';

export interface Sensors {
  idle: IdleSource;
  /** True on battery, false on mains, null when it cannot tell. */
  onBattery(): Promise<boolean | null>;
  /** CPU temperature in Celsius, null when there is no sensor. */
  temperatureC(): Promise<number | null>;
  /** Other programs' share of all cores since the previous call (null at first). */
  otherCpu(): number | null;
  /** Bytes this worker holds in RAM (all threads), and the machine's RAM. */
  memoryBytes(): number;
  totalMemoryBytes: number;
  /** How each reading is obtained, for the start-up listing and `ctl status`. */
  describe(): Record<string, string>;
}

export async function realSensors(): Promise<Sensors> {
  const p = platform();
  const idle = await detectIdleSource();
  const battery = batteryReader(p, execTool);
  const temperature = temperatureReader(p);
  const cpu = new CpuLoad(p);
  const [b, t] = await Promise.all([battery(), temperature()]);
  return {
    idle,
    onBattery: battery,
    temperatureC: temperature,
    otherCpu: () => cpu.sample(),
    memoryBytes: () => process.memoryUsage.rss(),
    totalMemoryBytes: totalmem(),
    describe: () => ({
      idle: idle.name,
      battery: b === null ? 'unknown (no power supply information): never pauses for it' : b ? 'on battery' : 'on mains power',
      temperature: t === null ? 'no CPU sensor found: --max-temp has no effect' : `CPU sensor reads ${t.toFixed(0)} C`,
      cpu: cpu.method,
    }),
  };
}
