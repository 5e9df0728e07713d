/** The outbox on a real directory: results and failures kept and read back, earlier files, damaged files. */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Outbox, type Pending } from './outbox.js';

const dir = () => mkdtempSync(join(tmpdir(), 'ig-outbox-'));

describe('outbox', () => {
  it('keeps results and failures until taken, each as it was sent', () => {
    const box = new Outbox(dir());
    const result: Pending = { type: 'result', item: { leaseId: 'abcdefgh.1.0', result: { found: [] }, cpuS: 2, elapsedS: 3 }, ops: 1e9 };
    const failure: Pending = { type: 'failure', item: { leaseId: 'abcdefgh.2.0', code: 'INPUT_HASH', message: 'input slice hash 00 does not match 11' } };
    box.add(result);
    box.add(failure);
    expect(box.count()).toBe(2);
    expect(box.all().sort((a, b) => a.item.leaseId.localeCompare(b.item.leaseId))).toEqual([result, failure]);
    expect(box.take('abcdefgh.2.0')).toEqual(failure);
    expect(box.take('abcdefgh.2.0')).toBeUndefined();
    expect(box.all()).toEqual([result]);
  });

  it('reads a bare result of an earlier version, sends an unknown failure code as UNIT_ERROR, and drops damaged files', () => {
    const d = dir();
    const box = new Outbox(d);
    writeFileSync(join(d, 'outbox', 'abcdefgh.3.1.json'), JSON.stringify({ leaseId: 'abcdefgh.3.1', result: 7, cpuS: 1, elapsedS: 1 }));
    writeFileSync(join(d, 'outbox', 'abcdefgh.4.0.json'), JSON.stringify({ type: 'failure', leaseId: 'abcdefgh.4.0', code: 'OLD_CODE', message: 'gone wrong' }));
    writeFileSync(join(d, 'outbox', 'abcdefgh.5.0.json'), '{"leaseId": "abc');
    expect(box.all().sort((a, b) => a.item.leaseId.localeCompare(b.item.leaseId))).toEqual([
      { type: 'result', item: { leaseId: 'abcdefgh.3.1', result: 7, cpuS: 1, elapsedS: 1 }, ops: 0 },
      { type: 'failure', item: { leaseId: 'abcdefgh.4.0', code: 'UNIT_ERROR', message: 'OLD_CODE: gone wrong' } },
    ]);
    expect(readdirSync(join(d, 'outbox')).sort()).toEqual(['abcdefgh.3.1.json', 'abcdefgh.4.0.json']);
  });
});
