/** `idlegrid account create`: a volunteer account key to attach workers with. */
import type { Command } from 'commander';
import { Client, coordinatorUrl } from './client.js';

export function accountCommand(program: Command): void {
  program
    .command('account')
    .description('volunteer accounts')
    .command('create')
    .description('create an account; prints its key (keep it: it is stored only as a hash)')
    .requiredOption('--name <name>', 'display name')
    .option('--team <team>', 'team to credit too')
    .option('--coordinator <url>', 'coordinator URL (default: IDLEGRID_COORDINATOR or http://127.0.0.1:8080)')
    .option('--json', 'print the account as JSON')
    .action(async (f: { name: string; team?: string; coordinator?: string; json?: boolean }) => {
      const acct = await new Client(coordinatorUrl(f.coordinator)).call<{ id: string; key: string; name: string; team: string | null }>(
        'POST', '/api/accounts', { name: f.name, ...(f.team ? { team: f.team } : {}) });
      if (f.json) return void process.stdout.write(`${JSON.stringify(acct)}\n`);
      process.stdout.write(`account ${acct.id} (${acct.name}${acct.team ? `, team ${acct.team}` : ''})\nkey: ${acct.key}\nattach a worker: npx idlegrid worker --account ${acct.key}\n`);
    });
}
