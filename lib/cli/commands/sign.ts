import { resolve } from 'node:path';
import { parseAllowedSigners } from '../../allowed-signers';
import { appendNoteLines, publishNotes } from '../../notes/store';
import { formatNoteLine } from '../../notes/line';
import { loadTrustedPolicy } from '../../policy/trusted';
import { evaluateLines } from '../../gate/evaluate';
import { exclusionsForCommits } from '../../gate/exclusions';
import { formatPublicKey } from '../../ssh/public-key';
import { dearmorSshSig, parseSshSig, verifySshSig } from '../../sshsig';
import { checkPrincipal, checkVerdict, formatTime } from '../../statement/fields';
import { statementBytes } from '../../statement/statement';
import { changeCommits, mergeBase } from '../../git/ancestry';
import { resolveCommit } from '../../git/commit';
import { CountersignError } from '../../errors';
import { flag, parseCommandArgs, requireStr, str } from '../args';
import { EXIT_OK, oneLine } from '../exit';
import type { CliIO } from '../io';
import { repoDir } from '../repo';
import { sshKeygenSign, sshKeygenTypeName } from '../ssh-keygen';
import type { Command } from './types';

const HELP = `usage: countersign sign --key SSH_PRIVATE_KEY --identity PRINCIPAL [options] COMMIT

Signs a review statement for COMMIT with an existing SSH key (through \`ssh-keygen -Y sign\`),
adds it as one line to the commit's note and pushes the notes to the remote.

  --repo DIR           the git clone (default: the current directory)
  --key FILE           SSH private key (or its .pub with the key in ssh-agent)
  --identity PRINCIPAL your principal in .countersign/allowed_signers (usually your e-mail)
  --base REV           sign the change from merge-base(REV, COMMIT) to COMMIT (its head), as a
                       review of all its commits: the statement (v2) names that base
  --verdict WORD       what you say about the commit (default: approve)
  --remote NAME        remote to publish to and whose default branch holds the policy (default: origin)
  --policy-ref REF     read .countersign/policy.json from REF instead of the remote's default branch
  --no-push            only add the line to the local notes ref
  -h, --help           this help

COMMIT is a full commit id, or any revision (HEAD, a branch); the full id is what gets signed.
If the remote cannot be reached the signature stays in the local notes ref and the next
\`countersign sign\` (or \`git push <remote> refs/notes/countersign\`) publishes it.
`;

export const signCommand: Command = {
  name: 'sign',
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(
      'sign',
      argv,
      {
        repo: { type: 'string' },
        key: { type: 'string' },
        identity: { type: 'string' },
        verdict: { type: 'string' },
        base: { type: 'string' },
        remote: { type: 'string' },
        'policy-ref': { type: 'string' },
        'no-push': { type: 'boolean' },
      },
      { min: 1, max: 1 },
    );
    if (args.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    const repo = await repoDir(io.cwd, str(args, 'repo'));
    const keyPath = resolve(io.cwd, requireStr('sign', args, 'key', '--key'));
    const identity = checkPrincipal(requireStr('sign', args, 'identity', '--identity'));
    const verdict = checkVerdict(str(args, 'verdict') ?? 'approve');
    const remote = str(args, 'remote') ?? 'origin';

    // Everything is checked and the signature proven good before anything is written.
    const trusted = await loadTrustedPolicy(repo, str(args, 'policy-ref'), { remote });
    const { policy } = trusted;
    const commit = await resolveCommit(repo, args.positionals[0], { allowRevisions: true });
    // A change: its base is where the head's history meets REV (the branch it targets), as a forge's diff shows it.
    const baseRev = str(args, 'base');
    let base: string | undefined;
    let changeIds = [commit.id];
    if (baseRev !== undefined) {
      const target = await resolveCommit(repo, baseRev, { allowRevisions: true });
      const found = await mergeBase(repo, target.id, commit.id);
      if (!found) throw new CountersignError('bad-input', `--base ${baseRev} has no history in common with ${commit.id.slice(0, 12)}; nothing to review against`);
      if (found === commit.id) throw new CountersignError('bad-input', `${commit.id.slice(0, 12)} is already in ${baseRev}: the change is empty`);
      base = found;
      changeIds = (await changeCommits(repo, base, commit.id)).commits;
    }
    const time = formatTime(new Date());
    const message = statementBytes({ repository: policy.repository, commit: commit.id, tree: commit.tree, ...(base ? { base } : {}), verdict, signer: identity, time });

    const armored = await sshKeygenSign(keyPath, policy.namespace, message);
    let signature: Uint8Array;
    let ownKey;
    try {
      signature = dearmorSshSig(armored);
      ownKey = parseSshSig(signature).publicKey;
    } catch (e) {
      throw new CountersignError('tool-failed', `ssh-keygen produced a signature countersign cannot read (${(e as Error).message}); nothing was written`);
    }
    const selfCheck = verifySshSig({
      signature,
      message,
      namespace: policy.namespace,
      allowedSigners: parseAllowedSigners(`${identity} ${formatPublicKey(ownKey)}\n`, 'the signing key'),
      identity,
    });
    if (!selfCheck.ok) {
      throw new CountersignError('tool-failed', `the new signature does not verify against its own key (${selfCheck.reason}); nothing was written`);
    }

    // Would it count? Tell the signer now rather than let them find out in CI: the gate's own
    // judgement of this one line, so the warning can never disagree with `countersign verify`.
    const line = formatNoteLine({ verdict, signer: identity, time, ...(base ? { base } : {}), signature });
    const [own] = evaluateLines({
      lines: [line],
      repository: policy.repository,
      commit: commit.id,
      tree: commit.tree,
      ...(await exclusionsForCommits(repo, changeIds, trusted)),
      policy,
      allowedSigners: trusted.allowedSigners,
      now: new Date(),
    }).lines;
    const warnings: string[] = [];
    if (!own.ok) {
      warnings.push(`this signature will not count until the policy on ${trusted.refName} trusts it: ${own.reason}`);
    } else if (policy.excludeAuthor && commit.author.email.toLowerCase() === identity.toLowerCase()) {
      warnings.push(`you are the commit's author; the policy does not count the author's own approval`);
    } else if (!own.counted && own.reason) {
      warnings.push(`this signature does not count: ${own.reason}`);
    }

    const { added } = await appendNoteLines(repo, policy.notesRef, [{ commit: commit.id, line }]);
    const short = commit.id.slice(0, 12);
    io.stdout.write(
      `Signed ${short} ("${commit.title}")${base ? ` as a change of ${changeIds.length} commit(s) since ${base.slice(0, 12)}` : ''} as ${identity}: ${verdict}, ${sshKeygenTypeName(ownKey.type)} key ${selfCheck.fingerprint}\n`,
    );
    if (added === 0) io.stdout.write(`The same line was already in ${policy.notesRef}.\n`);
    for (const w of warnings) io.stderr.write(`countersign: warning: ${w}\n`);

    if (flag(args, 'no-push')) {
      io.stdout.write(`Saved in ${policy.notesRef} (not pushed: --no-push).\n`);
      return EXIT_OK;
    }
    const pushed = await publishNotes(repo, remote, policy.notesRef);
    if (pushed.pushed) {
      io.stdout.write(`Published to ${remote} (${policy.notesRef}).\n`);
    } else {
      io.stdout.write(`Saved, will be published: the signature is in the local ${policy.notesRef}.\n`);
      io.stderr.write(
        `countersign: warning: could not push ${policy.notesRef} to ${remote}${pushed.error ? `: ${oneLine(String(pushed.error))}` : ''}; run countersign sign again or \`git push ${remote} ${policy.notesRef}\` later\n`,
      );
    }
    return EXIT_OK;
  },
};
