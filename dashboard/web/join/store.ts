/**
 * What the /join page keeps in the browser (IndexedDB, per site and profile): the host identity and its
 * secret, the volunteer's settings, credit of the day, results not yet acknowledged, and checkpoints of
 * units in progress. The browser's counterpart of the Node worker's config directory.
 */
import type { WorkUnit } from '../../../protocol/index.js';

const DB_NAME = 'idlegrid';
const DB_VERSION = 1;
const KV = 'kv';
const CHECKPOINTS = 'checkpoints';
const OUTBOX = 'outbox';

/** A unit's checkpoint, kept under its job and unit index, valid for exactly the spec it was made for. */
export interface SavedCheckpoint {
  unitKey: string;
  kind: string;
  kindVersion: number;
  /** JSON of the unit spec: a reissued replica of the same unit resumes from it, a different spec does not. */
  spec: string;
  checkpoint: unknown;
  fraction: number;
  /** After this the unit is someone else's: the checkpoint is dropped. */
  deadline: number;
  savedAt: number;
}

/** A finished result waiting for the coordinator's ack (delivered again after a reconnect or a reload). */
export interface PendingResult {
  leaseId: string;
  result: unknown;
  cpuS: number;
  elapsedS: number;
  ops: number;
}

export const unitKey = (u: Pick<WorkUnit, 'jobId' | 'unit'>): string => `${u.jobId}.${u.unit}`;

function promised<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

export class JoinStore {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(): Promise<JoinStore> {
    if (typeof indexedDB === 'undefined') throw new Error('this browser keeps no IndexedDB here (private window with storage off?): the page needs it for its host identity');
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(KV)) db.createObjectStore(KV);
      if (!db.objectStoreNames.contains(CHECKPOINTS)) db.createObjectStore(CHECKPOINTS, { keyPath: 'unitKey' });
      if (!db.objectStoreNames.contains(OUTBOX)) db.createObjectStore(OUTBOX, { keyPath: 'leaseId' });
    };
    const db = await promised(req);
    // Another tab upgrading the schema: let it, this one reloads to pick up the new page.
    db.onversionchange = () => db.close();
    return new JoinStore(db);
  }

  get<T>(key: string): Promise<T | undefined> {
    return promised(this.db.transaction(KV).objectStore(KV).get(key)) as Promise<T | undefined>;
  }

  async put(key: string, value: unknown): Promise<void> {
    await promised(this.db.transaction(KV, 'readwrite').objectStore(KV).put(value, key));
  }

  /** The value under `key`, or `make()` stored there: in one transaction, so two tabs opening at once agree. */
  getOrCreate<T>(key: string, valid: (v: unknown) => v is T, make: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(KV, 'readwrite');
      const store = tx.objectStore(KV);
      let value: T;
      const req = store.get(key);
      req.onsuccess = () => {
        if (valid(req.result)) value = req.result;
        else store.put((value = make()), key);
      };
      tx.oncomplete = () => resolve(value);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    });
  }

  async saveCheckpoint(c: SavedCheckpoint): Promise<void> {
    await promised(this.db.transaction(CHECKPOINTS, 'readwrite').objectStore(CHECKPOINTS).put(c));
  }

  /** The checkpoint for this unit, if one was made for exactly its kind, version and spec. */
  async checkpointFor(u: WorkUnit): Promise<SavedCheckpoint | undefined> {
    const c = (await promised(this.db.transaction(CHECKPOINTS).objectStore(CHECKPOINTS).get(unitKey(u)))) as SavedCheckpoint | undefined;
    return c && c.kind === u.kind && c.kindVersion === u.kindVersion && c.spec === JSON.stringify(u.spec) ? c : undefined;
  }

  async removeCheckpoint(key: string): Promise<void> {
    await promised(this.db.transaction(CHECKPOINTS, 'readwrite').objectStore(CHECKPOINTS).delete(key));
  }

  /** Drops checkpoints of units whose deadline has passed: they went to other hosts. */
  async pruneCheckpoints(now: number): Promise<number> {
    const all = (await promised(this.db.transaction(CHECKPOINTS).objectStore(CHECKPOINTS).getAll())) as SavedCheckpoint[];
    const old = all.filter((c) => c.deadline < now);
    if (old.length) {
      const store = this.db.transaction(CHECKPOINTS, 'readwrite').objectStore(CHECKPOINTS);
      await Promise.all(old.map((c) => promised(store.delete(c.unitKey))));
    }
    return old.length;
  }

  async addPending(r: PendingResult): Promise<void> {
    await promised(this.db.transaction(OUTBOX, 'readwrite').objectStore(OUTBOX).put(r));
  }

  async removePending(leaseId: string): Promise<void> {
    await promised(this.db.transaction(OUTBOX, 'readwrite').objectStore(OUTBOX).delete(leaseId));
  }

  pending(): Promise<PendingResult[]> {
    return promised(this.db.transaction(OUTBOX).objectStore(OUTBOX).getAll()) as Promise<PendingResult[]>;
  }
}
