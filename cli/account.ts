/**
 * `idlegrid account create`: a volunteer account key to attach workers with. No token is needed: anyone
 * may volunteer. With --save the key goes into the worker's config (mode 0600) so `idlegrid worker`
 * uses it without putting it on the command line, where other users of the machine could see it.
 */
import type { Command } from 'commander';
import { defaultConfigDir } from '../worker/identity.js';
import { saveAccountKey } from '../worker/account-file.js';
import { clientFor, coordOpt, timeoutOpt } from './client.js';
import { printable } from './format.js';

export function accountCommand(program: Command): void {
  program
    .command('account')
    .description('volunteer accounts')
    .command('create')
    .description('create an account; prints its key (keep it: it is stored only as a hash)')
    .requiredOption('--name <name>', 'display name')
    .option('--team <team>', 'team to credit too')
    .option(...coordOpt)
    .option(...timeoutOpt)
    .option('--save', 'store the key in the worker config directory (readable by you only)')
    .option('--config-dir <dir>', 'worker config directory for --save (default: IDLEGRID_CONFIG_DIR or the user config dir)')
    .option('--json', 'print the account as JSON')
    .action(async (f: { name: string; team?: string; coordinator?: string; timeout?: number; save?: boolean; configDir?: string; json?: boolean }) => {
      const acct = await clientFor({ coordinator: f.coordinator, timeout: f.timeout }).createAccount(f.name, f.team);
      const saved = f.save ? saveAccountKey(f.configDir ?? defaultConfigDir(), acct.key) : undefined;
      if (f.json) return void process.stdout.write(`${JSON.stringify({ ...acct, ...(saved ? { savedTo: saved } : {}) })}\n`);
      process.stdout.write(`account ${acct.id} (${printable(acct.name)}${acct.team ? `, team ${printable(acct.team)}` : ''})\nkey: ${acct.key}\n`);
      process.stdout.write(saved ? `saved to ${saved}; workers using that config directory attach to this account\n` : `attach a worker: npx idlegrid worker --account ${acct.key}\n`);
    });
}
