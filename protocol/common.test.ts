import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { CreateAccount, DisplayName, Label, Policy, SubmitJob, WorkerMessage, describeIssues, nearest, printable } from './index.js';

const issues = (schema: z.ZodType, value: unknown, prefix?: string): string => {
  const r = schema.safeParse(value);
  if (r.success) throw new Error(`${JSON.stringify(value)} was accepted`);
  return describeIssues(r.error, prefix);
};

describe('unknown keys', () => {
  it('are refused, one line each, naming the nearest known key', () => {
    expect(issues(Policy, { minQuorom: 2 }, 'policy')).toBe('policy.minQuorom: unknown key; did you mean minQuorum?');
    expect(issues(SubmitJob, { kind: 'keysearch', params: {}, nmae: 'x', colour: 'red' })).toBe(
      'nmae: unknown key; did you mean name?; colour: unknown key (known: kind, params, policy, name, priority, weight, public)',
    );
    expect(issues(CreateAccount, { name: 'a', Team: 'b' })).toBe('Team: unknown key; did you mean team?');
  });

  it('are found in nested objects and reported with their full path', () => {
    const schema = z.strictObject({ source: z.discriminatedUnion('format', [z.strictObject({ format: z.literal('a'), sampleRateHz: z.number() })]) });
    expect(issues(schema, { source: { format: 'a', sampleRateHz: 1, sample_rate_hz: 2 } }, 'params')).toBe('params.source.sample_rate_hz: unknown key; did you mean sampleRateHz?');
  });

  it('suggests only what is near: case, separators and one or two typos, not an unrelated word', () => {
    const known = ['minQuorum', 'targetResults', 'fftSize', 'maxDrift', 'name'];
    expect(nearest('minquorum', known)).toBe('minQuorum');
    expect(nearest('fft_size', known)).toBe('fftSize');
    expect(nearest('targetResutls', known)).toBe('targetResults');
    expect(nearest('maxDirft', known)).toBe('maxDrift');
    expect(nearest('colour', known)).toBeUndefined();
    expect(nearest('x', known)).toBeUndefined();
  });

  it('leave other messages as they were', () => {
    expect(issues(Policy, { minQuorum: 0 })).toMatch(/^minQuorum: Too small/);
    expect(issues(z.number(), 'x')).toMatch(/^\(root\): Invalid input/);
  });
});

describe('text from others', () => {
  it('printable removes control characters and bidirectional overrides, keeps the rest', () => {
    expect(printable('\x1b[2Jhello\x07 w\u00f6rld \u65e5\u672c\u202e\u0085\x7f')).toBe('[2Jhello w\u00f6rld \u65e5\u672c');
    expect(printable('two\nlines\r\tand a tab')).toBe('two lines and a tab');
    expect(printable('{\n  "a": "\x1b"\r\n}', true)).toBe('{\n  "a": ""\n}');
  });

  it('names people give are refused with a control character, naming it and where it is', () => {
    expect(issues(SubmitJob, { kind: 'keysearch', params: {}, name: 'ok\x1b[2J' })).toBe('name: contains a control character (U+001B at character 2); use printable text');
    expect(issues(CreateAccount, { name: 'bell\x07' })).toMatch(/^name: contains a control character \(U\+0007/);
    expect(Label(10).parse('Grüße 日本')).toBe('Grüße 日本');
  });

  it('a host name a worker sends is stripped, not refused', () => {
    expect(DisplayName(64).parse('my\x1b[2Jhost\x07\nline')).toBe('my[2Jhost line');
    const hello = WorkerMessage.parse({
      type: 'hello', protocol: 1, hostId: 'h-12345678', hostSecret: 'x'.repeat(40), name: 'lab\x1b]0;pwned\x07 pc', software: 'idlegrid/0',
      facts: { cores: 2, memoryBytes: 1, platform: 'linux', arch: 'x64' }, threads: 2, kinds: [{ name: 'keysearch', version: 1 }],
    });
    expect(hello.type === 'hello' && hello.name).toBe('lab]0;pwned pc');
  });
});
