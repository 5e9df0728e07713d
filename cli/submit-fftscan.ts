/**
 * `idlegrid submit fftscan FILE ...`: check a recording whole, upload it (streamed) and scan it for
 * narrowband signals.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { clientFor } from './client.js';
import { intArg, numArg } from './args.js';
import { checkPlan, readRecording, uploadRecording } from './recording.js';
import { addCommon, submitAndReport, type CommonFlags } from './submit-common.js';

interface FftscanFlags extends CommonFlags {
  fftSize?: number;
  maxDrift?: number;
  threshold?: number;
  preset?: 'setiathome' | 'default';
  detectors?: string[];
  maxCandidates?: number;
}

const DETECTORS = ['spike', 'gaussian', 'pulse', 'triplet', 'autocorr'] as const;

const detectorList = (v: string): string[] => {
  const list = v.split(',').map((d) => d.trim()).filter(Boolean);
  const bad = list.filter((d) => !(DETECTORS as readonly string[]).includes(d));
  if (!list.length || bad.length) throw new InvalidArgumentError(`--detectors takes a comma-separated list of ${DETECTORS.join(', ')}${bad.length ? `, not ${bad.join(', ')}` : ''}`);
  return list;
};

export function fftscanCommand(submit: Command): void {
  addCommon(
    submit
      .command('fftscan')
      .description('scan a radio recording for narrowband signals (spikes, drifting carriers), SETI@home style')
      .argument('<file>', 'a .sigmf-meta (with its .sigmf-data), a SETI@home .sah work unit, or a SIGPROC .fil filterbank')
      .option('--fft-size <n>', 'one FFT length, a power of two 8..1048576 (default: the preset\'s lengths)', intArg('--fft-size', 8))
      .option('--max-drift <hz-per-s>', 'largest drift rate searched, Hz/s (default: the preset\'s; 10 for .fil)', numArg('--max-drift', 0))
      .option('--threshold <s>', 'spike score (power / mean) or drift SNR to report (default: 22 setiathome, 25 for .fil)', numArg('--threshold', 0))
      .option('--preset <name>', 'setiathome (SETI@home v8: FFT 8..131072, drift +/-20 Hz/s, +/-50 up to 32768) or default (default: setiathome for .sah)')
      .option('--detectors <list>', `searches to run, comma-separated: ${DETECTORS.join(', ')} (default: all five with setiathome, spike otherwise; all but spike need setiathome)`, detectorList)
      .option('--max-candidates <n>', 'signals kept in the answer, strongest first (default 1000)', intArg('--max-candidates', 1)),
  ).action(async (file: string, f: FftscanFlags) => {
    if (f.preset && f.preset !== 'setiathome' && f.preset !== 'default') throw new Error(`--preset must be setiathome or default, not "${f.preset}"`);
    const client = clientFor(f); // a bad --coordinator or --timeout is reported before any file is read
    const rec = await readRecording(file);
    const params = {
      source: rec.source,
      ...(f.preset ? { preset: f.preset } : {}),
      ...(f.fftSize ? { fftSize: f.fftSize } : {}),
      ...(f.maxDrift !== undefined ? { maxDrift: f.maxDrift } : {}),
      ...(f.threshold !== undefined ? { threshold: f.threshold } : {}),
      ...(f.detectors ? { detectors: f.detectors } : {}),
      ...(f.maxCandidates ? { maxCandidates: f.maxCandidates } : {}),
    };
    checkPlan(file, params);
    if (!f.json) process.stderr.write(`uploading ${rec.dataPath} (${rec.description})\n`);
    await submitAndReport(f, 'fftscan', { ...params, source: await uploadRecording(client, rec) });
  });
}
