/** `idlegrid submit <kind> ...`: build a job from flags, submit it, optionally wait with a progress bar. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { bigArg, intArg } from './args.js';
import { fftscanCommand } from './submit-fftscan.js';
import { addCommon, submitAndReport, type CommonFlags } from './submit-common.js';

export function submitCommand(program: Command): void {
  const submit = program.command('submit').description('submit a job');
  addCommon(
    submit
      .command('keysearch')
      .description('RC5 key search (the RSA secret-key challenge): find keys K with E_K(plaintext XOR iv) = ciphertext')
      .addOption(new Option('--algorithm <name>', 'rc5-32/12/<b>, b = 5..16 key bytes (9 = RC5-72)').makeOptionMandatory())
      .addOption(new Option('--iv <hex>', 'CBC initialisation vector, 8 bytes of hex').makeOptionMandatory())
      .addOption(new Option('--plaintext <hex>', 'first plaintext block, 8 bytes of hex').makeOptionMandatory())
      .addOption(new Option('--ciphertext <hex>', 'first ciphertext block, 8 bytes of hex').makeOptionMandatory())
      .addOption(new Option('--start <hex>', 'first key, b bytes of hex (keys ordered big-endian, last byte fastest)').makeOptionMandatory())
      .addOption(new Option('--count <n>', 'keys to search (decimal or 0x-hex)').argParser(bigArg('--count')).makeOptionMandatory())
      .option('--unit-size <n>', 'keys per work unit (default: about one minute on one core)', intArg('--unit-size', 1))
      .option('--exhaustive', 'search the whole range even after a key is found'),
  ).action(async (f: CommonFlags & { algorithm: string; iv: string; plaintext: string; ciphertext: string; start: string; count: string; unitSize?: number; exhaustive?: boolean }) => {
    const params = {
      algorithm: f.algorithm,
      iv: f.iv,
      plaintext: f.plaintext,
      ciphertext: f.ciphertext,
      start: f.start,
      count: f.count,
      ...(f.unitSize ? { unitSize: f.unitSize } : {}),
      ...(f.exhaustive ? { exhaustive: true } : {}),
    };
    await submitAndReport(f, 'keysearch', params);
  });
  fftscanCommand(submit);
}
