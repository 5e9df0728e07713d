/** Credit earned today (protocol/credit.ts), kept in the config directory so a restart does not reset it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeConfigFile } from './config-file.js';

import { CreditDay, OPS_PER_COBBLESTONE } from '../protocol/credit.js';

export { OPS_PER_COBBLESTONE };

export class CreditLog extends CreditDay {
  constructor(configDir: string, clock: () => number = Date.now) {
    const file = join(configDir, 'credit.json');
    super(readSaved(file), (d) => writeConfigFile(file, JSON.stringify(d)), clock);
  }
}

function readSaved(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // first run, or an unreadable file: the day starts at zero
  }
}
