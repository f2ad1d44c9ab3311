import { describe, expect, it } from 'vitest';
import { CountersignError } from '../errors';
import { runCliInProcess } from '../../tests/support/cli';
import { parseCommandArgs, positiveInt, UsageError } from './args';
import { commands } from './commands/index';
import { errorLine, exitCodeFor, oneLine } from './exit';
import { printable } from './format';

describe('main', () => {
  it('lists every registered command in --help and exits 0', async () => {
    const r = await runCliInProcess(['--help']);
    expect(r.code).toBe(0);
    for (const c of commands) expect(r.stdout).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')}$`, 'm'));
  });

  it('prints the overview on stderr and exits 2 when no command is given', async () => {
    const r = await runCliInProcess([]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^usage: countersign <command>/);
  });

  it('gives each command its own --help (also as `help <command>`), exit 0, nothing on stderr', async () => {
    for (const c of commands) {
      const a = await runCliInProcess([c.name, '--help']);
      const b = await runCliInProcess(['help', c.name]);
      expect(a).toMatchObject({ code: 0, stderr: '' });
      expect(a.stdout).toMatch(new RegExp(`^usage: countersign ${c.name} `));
      expect(b.stdout).toBe(a.stdout);
    }
  });

  it('prints the version', async () => {
    expect((await runCliInProcess(['--version'])).stdout).toMatch(/^countersign \d+\.\d+\.\d+\n$/);
  });
});

describe('option parsing', () => {
  const spec = { repo: { type: 'string' as const }, json: { type: 'boolean' as const } };

  it('names an unknown option, a missing value and a stray value', () => {
    expect(() => parseCommandArgs('verify', ['--nope'], spec, { min: 0, max: 1 })).toThrow('verify: unknown option --nope (see countersign verify --help)');
    expect(() => parseCommandArgs('verify', ['--repo'], spec, { min: 0, max: 1 })).toThrow('verify: option --repo needs a value');
    expect(() => parseCommandArgs('verify', ['--repo', '--json'], spec, { min: 0, max: 1 })).toThrow(/option --repo needs a value/);
    expect(() => parseCommandArgs('verify', ['--json=yes'], spec, { min: 0, max: 1 })).toThrow('verify: option --json takes no value');
  });

  it('counts positionals, but not when --help is asked for', () => {
    expect(() => parseCommandArgs('sign', [], spec, { min: 1, max: 1 })).toThrow(/sign: missing argument/);
    expect(() => parseCommandArgs('sign', ['a', 'b'], spec, { min: 1, max: 1 })).toThrow('sign: unexpected argument "b" (see countersign sign --help)');
    expect(parseCommandArgs('sign', ['--help'], spec, { min: 1, max: 1 }).help).toBe(true);
    expect(parseCommandArgs('sign', ['x', '--repo', 'd'], spec, { min: 1, max: 1 })).toMatchObject({ positionals: ['x'], values: { repo: 'd' } });
  });

  it('takes whole numbers only for --threshold', () => {
    expect(positiveInt('verify', '3', '--threshold')).toBe(3);
    expect(positiveInt('verify', undefined, '--threshold')).toBeUndefined();
    for (const bad of ['0', '-1', '1.5', '2x', '', '010', '99999']) expect(() => positiveInt('verify', bad, '--threshold')).toThrow(UsageError);
  });
});

describe('errors', () => {
  it('are one line, whatever the message holds', () => {
    expect(oneLine('git failed\n  fatal: bad\n\nhint: x\n')).toBe('git failed; fatal: bad; hint: x');
    expect(errorLine(new CountersignError('bad-policy', 'a\nb'))).toBe('countersign: a; b');
  });

  it('call an unexpected error a bug, without a stack', () => {
    const line = errorLine(new TypeError("Cannot read properties of undefined (reading 'x')\n    at foo (/x.ts:1:2)"));
    expect(line).toMatch(/^countersign: internal error: Cannot read properties of undefined/);
    expect(line).not.toContain('\n');
  });

  it('exit 2 for bad input, 1 for failures of tools, networks and bugs', () => {
    expect(exitCodeFor(new CountersignError('unknown-commit', 'x'))).toBe(2);
    expect(exitCodeFor(new CountersignError('bad-policy', 'x'))).toBe(2);
    expect(exitCodeFor(new UsageError('x'))).toBe(2);
    expect(exitCodeFor(new CountersignError('git-failed', 'x'))).toBe(1);
    expect(exitCodeFor(new CountersignError('tool-failed', 'x'))).toBe(1);
    expect(exitCodeFor(new Error('x'))).toBe(1);
  });
});

describe('printable', () => {
  it('neutralises terminal control characters and bidi overrides in untrusted text', () => {
    expect(printable('fix\x1b[2Jbug\r\nok\u202e')).toBe('fix?[2Jbug??ok?');
    expect(printable('x'.repeat(100), 10)).toBe('xxxxxxx...');
  });
});
