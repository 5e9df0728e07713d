/**
 * `idlegrid token create | revoke`: the admin hands out owner tokens (the right to submit jobs and upload
 * data) and takes them back. Both need the admin token (--token or IDLEGRID_TOKEN).
 */
import type { Command } from 'commander';
import { clientFor, coordOpt, timeoutOpt, tokenOpt, type ClientFlags } from './client.js';
import { printable } from './format.js';

const adminTokenOpt = [tokenOpt[0], 'the admin token (default: IDLEGRID_TOKEN)'] as const;

export function tokenCommand(program: Command): void {
  const token = program.command('token').description('owner tokens: who may submit jobs (admin only)');

  token
    .command('create')
    .description('make an owner token; prints it once (only its hash is kept)')
    .requiredOption('--name <name>', 'who the token is for (shown in logs; jobs record the token\'s id)')
    .option(...coordOpt)
    .option(...timeoutOpt)
    .option(...adminTokenOpt)
    .option('--json', 'print { id, token, name } as JSON')
    .action(async (f: ClientFlags & { name: string; json?: boolean }) => {
      const made = await clientFor(f).createToken(f.name);
      if (f.json) return void process.stdout.write(`${JSON.stringify(made)}\n`);
      process.stdout.write(`owner token ${made.id} for ${printable(made.name)}\ntoken: ${made.token}\nuse it: IDLEGRID_TOKEN=${made.token} npx idlegrid submit ...\nrevoke it: npx idlegrid token revoke ${made.id}\n`);
    });

  token
    .command('revoke')
    .description('stop an owner token working at once (its jobs keep running)')
    .argument('<id>', 'the token\'s id, as printed by token create')
    .option(...coordOpt)
    .option(...timeoutOpt)
    .option(...adminTokenOpt)
    .action(async (id: string, f: ClientFlags) => {
      await clientFor(f).revokeToken(id);
      process.stdout.write(`owner token ${id} revoked\n`);
    });
}
