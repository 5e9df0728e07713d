/**
 * The recordings that ship with the project in test/fixtures/ (provenance, checksums and licences in
 * test/fixtures/README.md). Every test, benchmark and script reads them through here, so a missing or
 * altered file fails loudly with its name instead of skipping a test.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Each fixture's sha256, as published beside the data it was copied from. */
export const FIXTURES = {
  'seti_reference_work_unit.sah': '112c52b95bc113cf9edc688425c9b8115ebae785997b8874be649f8e8651950d',
  'setigen_sample_cband_DIAG_SGR_B2.fil': 'ee0ed0df43990a4653a05eed914401836c0a0de154897afa2c05ddd7f8128ea5',
  'setigen_test_frame_data.npy': '3555325adb613a76075acaf80010aa22e2948d676db2344d61605c9a69fc4332',
  'sigmf_logo.sigmf-data': '50eab162b487d0214c1e57de042606051e836b114592ec5f141a949caf106c22',
  'sigmf_logo.sigmf-meta': 'e33dea79466bb69386ecc121c9a755381c17f83516ab5003557b9a4eb5ac64e8',
} as const;

export type FixtureName = keyof typeof FIXTURES;

/** The folder, for tests that pass it to a command as a user would. */
export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Absolute path of a fixture; throws naming the file when it is not there. */
export function fixturePath(name: FixtureName): string {
  const path = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  if (!existsSync(path)) throw new Error(`test fixture ${name} is missing from test/fixtures/ (see test/fixtures/README.md)`);
  return path;
}

const checked = new Set<FixtureName>();

/** A fixture's bytes, checked once against its published sha256. */
export function readFixture(name: FixtureName): Uint8Array {
  const bytes = readFileSync(fixturePath(name));
  if (!checked.has(name)) {
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== FIXTURES[name]) throw new Error(`test fixture ${name} has sha256 ${sha}, expected ${FIXTURES[name]}: restore it from git`);
    checked.add(name);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
