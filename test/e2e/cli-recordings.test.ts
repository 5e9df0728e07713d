/**
 * `idlegrid submit fftscan` checks a recording whole before it uploads a byte: the real CLI against a
 * real coordinator, one malformed recording at a time. Each is refused with a non-zero exit, a coded
 * message naming the file and what is wrong, and nothing in the coordinator's store, not even an upload
 * begun; a good recording, last, is stored (so an empty store means the check held, not a broken upload).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../coordinator/store/keys.js';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { cli, startCoordinatorProcess, type Proc } from '../helpers/processes.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';

let coord: (Proc & { url: string }) | undefined;
const dir = mkdtempSync(join(tmpdir(), 'ig-bad-recordings-'));
const keys = new Keys(uniquePrefix('cli-rec'));
const redis = new Redis(redisUrl());

beforeAll(async () => {
  coord = await startCoordinatorProcess(redisUrl(), keys.prefix);
});
afterAll(async () => {
  await coord?.kill('SIGKILL');
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/** What the coordinator's store holds: recordings, and uploads begun (finished, in progress or discarded). */
async function stored(): Promise<{ recordings: number; uploads: number }> {
  const count = (k: 'recordings' | 'uploads' | 'doomed') => redis.zcard(keys.key(k));
  const [recordings, open, doomed] = await Promise.all([count('recordings'), count('uploads'), count('doomed')]);
  return { recordings, uploads: recordings + open + doomed };
}

/** A SIGPROC filterbank file: the given header fields (int or double), then `dataBytes` zero bytes. */
function fil(name: string, fields: Record<string, number>, dataBytes: number): string {
  const parts: Buffer[] = [];
  const str = (s: string) => {
    const b = Buffer.alloc(4 + s.length);
    b.writeInt32LE(s.length);
    b.write(s, 4, 'latin1');
    parts.push(b);
  };
  str('HEADER_START');
  for (const [k, v] of Object.entries(fields)) {
    str(k);
    const b = Buffer.alloc(k === 'nchans' || k === 'nbits' || k === 'nifs' ? 4 : 8);
    if (b.length === 4) b.writeInt32LE(v);
    else b.writeDoubleLE(v);
    parts.push(b);
  }
  str('HEADER_END');
  parts.push(Buffer.alloc(dataBytes));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}
const FIL = { fch1: 1420, foff: -0.001, tsamp: 1, nifs: 1 };

/** A SigMF pair: the reference metadata with `global` changes, and `dataBytes` bytes of data. */
function sigmf(name: string, global: Record<string, unknown>, dataBytes: number): string {
  const meta = JSON.parse(readFileSync(fixturePath('sigmf_logo.sigmf-meta'), 'utf8')) as { global: Record<string, unknown> };
  Object.assign(meta.global, global);
  delete meta.global['core:sha512'];
  writeFileSync(join(dir, `${name}.sigmf-meta`), JSON.stringify(meta));
  writeFileSync(join(dir, `${name}.sigmf-data`), Buffer.alloc(dataBytes, 1));
  return join(dir, `${name}.sigmf-meta`);
}

describe('a malformed recording is refused before anything is uploaded', () => {
  it('each one: non-zero exit, its code, the file named, nothing stored', async () => {
    const cutSah = join(dir, 'cut.sah');
    writeFileSync(cutSah, readFixture('seti_reference_work_unit.sah').subarray(0, 200_000));
    const noDataSah = join(dir, 'nodata.sah');
    writeFileSync(noDataSah, '<workunit_header><name>x</name></workunit_header>\n');
    // The reference metadata says ri16_le x 2 channels: 4-byte sample frames.
    const cases: Array<[string, string, RegExp]> = [
      [cutSah, 'SAH_DATA', /the data holds 142863 bytes, 262144 needed for the 1048576 samples its header declares: the file is cut short \(200000 bytes\)/],
      [noDataSah, 'SAH_DATA', /no <data encoding="x-setiathome">/],
      [sigmf('empty', {}, 0), 'SIGMF_BAD_DATA', /the dataset has 0 bytes, less than one of its 4-byte samples \(ri16_le x 2 channels\)/],
      [sigmf('three', {}, 3), 'SIGMF_BAD_DATA', /the dataset has 3 bytes/],
      [sigmf('ragged', {}, 4 * 5000 + 2), 'SIGMF_BAD_DATA', /20002 bytes are not a whole number of 4-byte samples/],
      [sigmf('wide', { 'core:num_channels': 1e8 }, 3), 'SIGMF_BAD_JSON', /core:num_channels 100000000 is more than 65536/],
      // Valid on its own, but 100 samples cannot fill one FFT of the analysis (the shortest is 1024).
      [sigmf('short', { 'core:datatype': 'cf32_le', 'core:num_channels': 1 }, 8 * 100), 'FFTSCAN_TOO_SHORT', /the recording has 100 samples, fewer than the shortest FFT \(1024\)/],
      [fil('huge.fil', { ...FIL, nchans: 2 ** 31 - 1, nbits: 32 }, 64), 'FIL_TRUNCATED', /less than one spectrum \(nchans=2147483647 x nifs=1 x 32 bits = 8589934588 bytes per spectrum\)/],
      [fil('seven.fil', { ...FIL, nchans: 8, nbits: 7 }, 56), 'FIL_UNSUPPORTED', /nbits=7 is not supported/],
      [fil('headeronly.fil', { ...FIL, nchans: 8, nbits: 32 }, 0), 'FIL_TRUNCATED', /a header with no data/],
      [fil('ragged.fil', { ...FIL, nchans: 8, nbits: 32 }, 32 * 10 + 5), 'FIL_TRUNCATED', /325 bytes, not a whole number of spectra/],
    ];
    const runs = await Promise.all(cases.map(([file]) => cli(['submit', 'fftscan', file, '--coordinator', coord!.url])));
    runs.forEach((r, i) => {
      const [file, code, what] = cases[i];
      const dataFile = file.replace(/\.sigmf-meta$/, '.sigmf-data');
      expect(r.code, `${file}: ${r.stderr}`).toBe(1);
      expect(r.stdout, file).toBe('');
      expect(r.stderr, file).toMatch(new RegExp(`^error: ${code}: (${escape(file)}|${escape(dataFile)}): `));
      expect(r.stderr, file).toMatch(what);
      expect(r.stderr.split('\n').filter(Boolean), file).toHaveLength(1); // one line, no stack trace
    });
    expect(await stored()).toEqual({ recordings: 0, uploads: 0 });
  }, 120_000);

  it('while a good recording goes through and is stored', async () => {
    const r = await cli(['submit', 'fftscan', fixturePath('setigen_sample_cband_DIAG_SGR_B2.fil'), '--coordinator', coord!.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[a-z0-9]{6,32}\n$/);
    expect(await stored()).toEqual({ recordings: 1, uploads: 1 });
  });
});

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
