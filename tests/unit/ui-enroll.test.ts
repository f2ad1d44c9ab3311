import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addSignerCommands, guessDeviceName, shellQuote } from '../../lib/ui/enroll';

describe('enrollment helpers', () => {
  it('guesses a device name from the user agent', () => {
    expect(guessDeviceName('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)')).toBe('iPhone');
    expect(guessDeviceName('Mozilla/5.0 (Linux; Android 14; Pixel 7) Mobile Safari')).toBe('Android phone');
    expect(guessDeviceName('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)')).toBe('Mac');
    expect(guessDeviceName('Mozilla/5.0 (X11; Linux x86_64)')).toBe('Linux computer');
    expect(guessDeviceName('')).toBe('My device');
  });

  it('quotes for the shell so that the text comes back unchanged', () => {
    const tricky = `a'b "c" $HOME \`id\` ; rm -rf /`;
    const out = execFileSync('sh', ['-c', `printf '%s' ${shellQuote(tricky)}`]).toString();
    expect(out).toBe(tricky);
  });

  it('gives commands that append the exact allowed_signers line', () => {
    const line = 'alice@example.com namespaces="countersign-review@countersign.dev" sk-ecdsa-sha2-nistp256@openssh.com AAAAE2Vj';
    const cmds = addSignerCommands(line, 'alice@example.com', "Alice's phone");
    expect(cmds).toContain('.countersign/allowed_signers');
    // Run the file-writing part of the script in a scratch directory and read the result back.
    const dir = mkdtempSync(join(tmpdir(), 'cs-enroll-'));
    const fileSteps = cmds.split('\n').filter((c) => !c.startsWith('git '));
    execFileSync('sh', ['-c', fileSteps.join('\n')], { cwd: dir });
    execFileSync('sh', ['-c', fileSteps.join('\n')], { cwd: dir });
    expect(readFileSync(join(dir, '.countersign/allowed_signers'), 'utf8')).toBe(`${line}\n${line}\n`);
    expect(cmds).toContain(`git commit -m 'countersign: trust alice@example.com (Alice'\\''s phone)'`);
  });
});
