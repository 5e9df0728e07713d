/**
 * A volunteer's worker as `idlegrid worker` runs it: the preferences (file, flags, live changes), the
 * worker, the governor that decides when it may compute, and the control interface, wired together.
 * Tests and benchmarks pass their own sensors (an injected idle source) and skip the control server.
 */
import { Governor } from './governor.js';
import { PreferenceStore } from './preference-store.js';
import { mergeLayers, parseValue, resolveThreads, type PreferenceLayer, type Preferences } from './preferences.js';
import { ControlServer, type Controlled } from './control-server.js';
import { realSensors, type Sensors } from './sensors/index.js';
import { VolunteerWorker, type Limits } from './worker.js';

export interface VolunteerConfig {
  coordinator: string;
  configDir: string;
  name?: string;
  account?: string;
  sliceMs?: number;
  /** Preferences given as flags at start (they outrank the config file). */
  flags?: PreferenceLayer;
  sensors?: Sensors;
  /** Serve the control interface (default true). */
  control?: boolean;
}

export interface Volunteer {
  worker: VolunteerWorker;
  governor: Governor;
  store: PreferenceStore;
  sensors: Sensors;
  control?: ControlServer;
  stop(reason: string): Promise<void>;
}

export const limitsOf = (p: Preferences): Limits => ({
  threads: resolveThreads(p.threads),
  bufferUnits: p.bufferUnits,
  bufferMinutes: p.bufferMinutes,
  checkpointIntervalS: p.checkpointIntervalS,
});

export async function startVolunteer(cfg: VolunteerConfig): Promise<Volunteer> {
  const store = new PreferenceStore(cfg.configDir, cfg.flags);
  const worker = new VolunteerWorker({
    coordinator: cfg.coordinator,
    configDir: cfg.configDir,
    ...(cfg.name ? { name: cfg.name } : {}),
    ...(cfg.account ? { account: cfg.account } : {}),
    ...(cfg.sliceMs ? { sliceMs: cfg.sliceMs } : {}),
    ...limitsOf(store.get()),
  });
  const sensors = cfg.sensors ?? (await realSensors());
  const governor = new Governor(worker, () => store.get(), sensors);
  store.on('change', (p) => {
    worker.setLimits(limitsOf(p));
    governor.poke();
  });

  const controlled: Controlled = {
    status: () => ({ worker: worker.snapshot(), governor: governor.status(), preferences: store.describe(), preferencesFile: store.path }),
    pause: () => governor.pauseByUser(),
    resume: () => governor.resumeByUser(),
    finish: () => worker.finish(),
    set: (key, value) => {
      const parsed = parseValue(key, value);
      if (!parsed.ok) return parsed;
      // Check what the pool can take before the change is kept anywhere.
      const threads = limitsOf(mergeLayers(store.get(), parsed.value)).threads;
      if (threads > worker.maxThreads) return { ok: false, error: `threads: this worker can run at most ${worker.maxThreads} without a restart; restart it with --threads ${threads}` };
      store.set(parsed.value);
      return { ok: true, value: store.get()[key as keyof Preferences] };
    },
  };

  // Decide before the first unit arrives, so nothing computes against the preferences even briefly.
  await governor.start();
  let control: ControlServer | undefined;
  if (cfg.control !== false) {
    control = new ControlServer(controlled, cfg.configDir);
    await control.listen();
  }
  // Connect last, with no await after it: the caller's listeners are in place before the coordinator
  // can answer (a refusal or a welcome is never missed).
  worker.start();
  return {
    worker,
    governor,
    store,
    sensors,
    control,
    async stop(reason) {
      governor.stop();
      await worker.stop(reason);
      await control?.close();
    },
  };
}
