/**
 * The CPU's temperature in degrees Celsius, the hottest reading of the sensors that belong to the CPU.
 * Linux only: hwmon drivers of CPUs (coretemp, k10temp, zenpower, cpu_thermal...) and, failing those,
 * thermal zones typed as the CPU package or ACPI zone. macOS and Windows expose no CPU temperature to an
 * unprivileged program without a vendor driver, so there it is null and the preference has no effect.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const CPU_HWMON = /^(coretemp|k10temp|k8temp|zenpower|cpu_thermal|cpu-thermal|soc_thermal|apple_smc|via_cputemp|fam15h_power)$/;
const CPU_ZONE = /^(x86_pkg_temp|cpu.*|soc.*|acpitz|.*-cpu.*)$/i;

const read = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
};
const list = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};
/** sysfs temperatures are millidegrees; a reading outside 1..150 C is a broken sensor. */
const celsius = (s: string | null): number | null => {
  const n = s === null ? NaN : Number(s) / 1000;
  return Number.isFinite(n) && n > 1 && n < 150 ? n : null;
};

export function linuxCpuTemperature(sys = '/sys/class'): number | null {
  const hw: number[] = [];
  for (const d of list(join(sys, 'hwmon'))) {
    if (!CPU_HWMON.test(read(join(sys, 'hwmon', d, 'name')) ?? '')) continue;
    for (const f of list(join(sys, 'hwmon', d))) {
      if (!/^temp\d+_input$/.test(f)) continue;
      const c = celsius(read(join(sys, 'hwmon', d, f)));
      if (c !== null) hw.push(c);
    }
  }
  if (hw.length) return Math.max(...hw);
  const zones: number[] = [];
  for (const z of list(join(sys, 'thermal'))) {
    if (!z.startsWith('thermal_zone') || !CPU_ZONE.test(read(join(sys, 'thermal', z, 'type')) ?? '')) continue;
    const c = celsius(read(join(sys, 'thermal', z, 'temp')));
    if (c !== null) zones.push(c);
  }
  return zones.length ? Math.max(...zones) : null;
}

export function temperatureReader(platform: NodeJS.Platform): () => Promise<number | null> {
  return platform === 'linux' ? async () => linuxCpuTemperature() : async () => null;
}
