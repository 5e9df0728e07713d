/**
 * Where the preferences in force come from: defaults, then the config file (`preferences.json` in the
 * config directory), then the flags given at start. `idlegrid ctl set` changes the running worker and
 * writes the file, so the change outlives a restart; for the key it sets it also outranks a flag given
 * at this start (the user asked for it later).
 */
import { existsSync, readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { writeConfigFile } from './config-file.js';
import { mergeLayers, parseLayer, PREFERENCE_KEYS, type PreferenceKey, type PreferenceLayer, type Preferences } from './preferences.js';

export type Source = 'default' | 'file' | 'flag';

export const PREFERENCES_FILE = 'preferences.json';

export class PreferenceStore extends EventEmitter<{ change: [Preferences, PreferenceKey[]] }> {
  private file: PreferenceLayer;
  private flags: PreferenceLayer;
  private current: Preferences;

  /** Throws an Error naming the file and the bad key when the config file is invalid. */
  constructor(private readonly configDir: string, flags: PreferenceLayer = {}) {
    super();
    this.file = readPreferencesFile(configDir);
    this.flags = { ...flags };
    this.current = mergeLayers(this.file, this.flags);
  }

  get(): Preferences {
    return this.current;
  }

  get path(): string {
    return join(this.configDir, PREFERENCES_FILE);
  }

  sourceOf(key: PreferenceKey): Source {
    if (this.flags[key] !== undefined) return 'flag';
    if (this.file[key] !== undefined) return 'file';
    return 'default';
  }

  /** Apply a validated change now and keep it in the file. */
  set(change: PreferenceLayer): void {
    const keys = (Object.keys(change) as PreferenceKey[]).filter((k) => change[k] !== undefined);
    this.file = { ...this.file, ...change };
    for (const k of keys) delete this.flags[k];
    const file = this.path;
    writeConfigFile(file, `${JSON.stringify(this.file, null, 2)}\n`);
    this.current = mergeLayers(this.file, this.flags);
    this.emit('change', this.current, keys);
  }

  /** Every preference with its value and where it came from, for the start-up listing and `ctl status`. */
  describe(): Array<{ key: PreferenceKey; value: unknown; source: Source }> {
    return PREFERENCE_KEYS.map((key) => ({ key, value: this.current[key], source: this.sourceOf(key) }));
  }
}

export function readPreferencesFile(configDir: string): PreferenceLayer {
  const file = join(configDir, PREFERENCES_FILE);
  if (!existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); fix or delete it`);
  }
  const parsed = parseLayer(raw, file);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}
