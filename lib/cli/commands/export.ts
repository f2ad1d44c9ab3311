import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CountersignError } from '../../errors';
import { evaluateResolvedCommit } from '../../gate/evaluate';
import { resolveCommit } from '../../git/commit';
import { parseNoteLine, statementFor } from '../../notes/line';
import { loadTrustedPolicy } from '../../policy/trusted';
import { armorSshSig } from '../../sshsig';
import { serializeStatement } from '../../statement/statement';
import { flag, parseCommandArgs, requireStr, str } from '../args';
import { EXIT_OK } from '../exit';
import type { CliIO } from '../io';
import { fetchNotesOrWarn, repoDir } from '../repo';
import type { Command } from './types';

const HELP = `usage: countersign export [options] COMMIT --out DIR

Writes everything needed to re-check COMMIT's signatures with stock OpenSSH, no Countersign
needed: per signature the exact statement that was signed (NN-SIGNER.statement) and its armored
signature (NN-SIGNER.sig), the trusted allowed_signers, verify.sh and README.txt with the
\`ssh-keygen -Y verify\` one-liners.

  --repo DIR         the git clone (default: the current directory)
  --out DIR          where to write; must not exist or be empty
  --remote NAME      remote to fetch the notes from; its default branch holds the policy (default: origin)
  --policy-ref REF   read .countersign/ from REF instead of the remote's default branch
  --no-fetch         use the local notes only
  -h, --help         this help
`;

/** Principals may hold "/" or ":"; file names keep to a safe alphabet. */
export function fileSafe(principal: string): string {
  return principal.replace(/[^A-Za-z0-9._@+-]/g, '_').replace(/^\.+/, '_');
}

/** Single-quoted for sh (principals and namespaces are plain, but a file must be copy-paste safe). */
function shq(s: string): string {
  return /^[A-Za-z0-9._@+\/=:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function checkOutDir(out: string): Promise<void> {
  try {
    const entries = await readdir(out);
    if (entries.length > 0) throw new CountersignError('bad-input', `--out ${out} is not empty; give a new or empty directory`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new CountersignError('bad-input', `--out ${out} is a file, not a directory`);
    throw e;
  }
}

export const exportCommand: Command = {
  name: 'export',
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(
      'export',
      argv,
      {
        repo: { type: 'string' },
        out: { type: 'string' },
        remote: { type: 'string' },
        'policy-ref': { type: 'string' },
        'no-fetch': { type: 'boolean' },
      },
      { min: 1, max: 1 },
    );
    if (args.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    const repo = await repoDir(io.cwd, str(args, 'repo'));
    const out = resolve(io.cwd, requireStr('export', args, 'out', '--out'));
    const remote = str(args, 'remote') ?? 'origin';
    await checkOutDir(out);

    const trusted = await loadTrustedPolicy(repo, str(args, 'policy-ref'), { remote });
    const { policy } = trusted;
    const commit = await resolveCommit(repo, args.positionals[0], { allowRevisions: true });
    if (!flag(args, 'no-fetch')) await fetchNotesOrWarn(repo, remote, policy.notesRef, io);
    const verdict = await evaluateResolvedCommit({ repoDir: repo, commit, trusted });
    const lines = verdict.lines.map((lv) => lv.line);

    // Build every file in memory first: nothing is written unless all of it can be.
    const files = new Map<string, string>();
    const commands: string[] = [];
    const summary: string[] = [];
    const width = String(lines.length).length < 2 ? 2 : String(lines.length).length;
    let n = 0;
    verdict.lines.forEach((lv, i) => {
      let parsed;
      try {
        parsed = parseNoteLine(lv.line);
      } catch {
        summary.push(`  (line ${i + 1} skipped: ${lv.reason})`);
        return;
      }
      n++;
      const base = `${String(n).padStart(width, '0')}-${fileSafe(parsed.signer)}`;
      files.set(`${base}.statement`, serializeStatement(statementFor(parsed, { repository: policy.repository, commit: commit.id, tree: commit.tree })));
      files.set(`${base}.sig`, armorSshSig(parsed.signature));
      const cmd = `ssh-keygen -Y verify -f allowed_signers -I ${shq(parsed.signer)} -n ${shq(policy.namespace)} -s ${shq(base + '.sig')} < ${shq(base + '.statement')}`;
      commands.push(cmd);
      const state = lv.counted ? 'counted' : lv.ok ? `valid, not counted: ${lv.reason}` : `FAILED in countersign: ${lv.reason}`;
      summary.push(`  ${base}: ${parsed.verdict} by ${parsed.signer} at ${parsed.time} (${state})`);
    });
    if (n === 0) {
      throw new CountersignError(
        'not-found',
        lines.length === 0
          ? `commit ${commit.id.slice(0, 12)} has no signatures in ${policy.notesRef}; nothing exported`
          : `none of the ${lines.length} note lines on ${commit.id.slice(0, 12)} can be read; nothing exported`,
      );
    }

    files.set('allowed_signers', trusted.allowedSignersText);
    files.set('notes.txt', lines.join('\n') + '\n');
    files.set(
      'verify.sh',
      [
        '#!/bin/sh',
        `# Re-checks the signatures on commit ${commit.id} with stock OpenSSH (ssh-keygen -Y verify).`,
        '# Exit status 0 only if every signature verifies.',
        'cd "$(dirname "$0")" || exit 2',
        'status=0',
        ...commands.map((c) => `${c} || status=1`),
        'exit $status',
        '',
      ].join('\n'),
    );
    files.set(
      'README.txt',
      [
        `Countersign signatures for commit ${commit.id}`,
        `  "${commit.title}" by ${commit.author.name} <${commit.author.email}>`,
        `repository: ${policy.repository}    tree: ${commit.tree}`,
        `policy and allowed_signers from ${trusted.refName} at ${trusted.commit}`,
        `threshold ${verdict.threshold}: ${verdict.count} counted (${verdict.met ? 'met' : 'not met'})`,
        '',
        'Each NN-SIGNER.statement is the exact text that was signed (SSHSIG, namespace',
        `${policy.namespace}); NN-SIGNER.sig is its armored signature. Re-check one with:`,
        '',
        ...commands.map((c) => `  ${c}`),
        '',
        'or all of them with `sh verify.sh`. Before trusting a statement, check that its commit and',
        'tree lines name the commit you care about and that allowed_signers is the trusted one.',
        'Stock ssh-keygen does not check passkey user-presence/verification flags or the WebAuthn',
        `origin; \`countersign verify-sig ... --require-uv --origin URL\` does.`,
        '',
        'signatures:',
        ...summary,
        '',
      ].join('\n'),
    );

    await mkdir(out, { recursive: true });
    for (const [name, content] of files) {
      await writeFile(join(out, name), content, { mode: name === 'verify.sh' ? 0o755 : 0o644, flag: 'wx' });
    }
    io.stdout.write(`Exported ${n} signature${n === 1 ? '' : 's'} on ${commit.id.slice(0, 12)} to ${out}\nRe-check with: sh ${join(out, 'verify.sh')}\n`);
    return EXIT_OK;
  },
};
