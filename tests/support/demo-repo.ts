/**
 * A throwaway repository pair for tests: a bare "remote" and a clone of it, with a
 * `.countersign/` policy on main and a few commits by an author other than the signers.
 *
 *   const demo = await createDemoRepo({ signers: [{ principal: 'bob@example.org', publicKey }] });
 *   demo.commits[0].id   // a commit to approve
 *   await demo.cleanup();
 *
 * git is called with argument arrays and a fixed identity/config, so the fixture does not depend
 * on the machine's git configuration.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface Person {
  name: string;
  email: string;
}

export const AUTHOR: Person = { name: 'Ada Author', email: 'ada@example.org' };
export const MAINTAINER: Person = { name: 'Max Maintainer', email: 'max@example.org' };

export interface DemoSigner {
  principal: string;
  /** OpenSSH public key text: "ssh-ed25519 AAAA… comment" */
  publicKey: string;
  /** allowed_signers options, e.g. 'namespaces="countersign-review@countersign.dev"' */
  options?: string;
}

export interface DemoRepoOptions {
  /** Name written into policy.json and every statement. */
  repository?: string;
  signers?: DemoSigner[];
  /** Merged over { repository, threshold: 2 } and written as .countersign/policy.json; null: no policy file at all. */
  policy?: Record<string, unknown> | null;
  /** Raw policy.json text, instead of `policy` (to plant a broken one). */
  policyText?: string;
  /** Number of feature commits by AUTHOR after the policy commit (default 3). */
  commits?: number;
  /** Initial branch name (default main). */
  branch?: string;
  objectFormat?: 'sha1' | 'sha256';
}

export interface DemoCommit {
  id: string;
  tree: string;
  title: string;
}

export interface DemoRepo {
  root: string;
  /** Path of the bare remote. */
  remote: string;
  /** Path of the working clone (remote name "origin"). */
  clone: string;
  repository: string;
  branch: string;
  /** The commit on main that added .countersign/. */
  policyCommit: string;
  /** Feature commits by AUTHOR, oldest first, all pushed to main. */
  commits: DemoCommit[];
  git(args: string[], cwd?: string): Promise<string>;
  /** Writes files, commits them as `author` (default AUTHOR) and returns the new commit. Does not push. */
  commit(files: Record<string, string>, message: string, author?: Person): Promise<DemoCommit>;
  /** Makes another clone of the remote (e.g. a CI checkout) under root. */
  cloneAgain(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

export function allowedSignersText(signers: DemoSigner[]): string {
  return signers.map((s) => [s.principal, s.options, s.publicKey.trim()].filter(Boolean).join(' ') + '\n').join('');
}

function gitEnv(person: Person): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_AUTHOR_NAME: person.name,
    GIT_AUTHOR_EMAIL: person.email,
    GIT_COMMITTER_NAME: person.name,
    GIT_COMMITTER_EMAIL: person.email,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
  };
}

export async function git(args: string[], cwd: string, person: Person = MAINTAINER): Promise<string> {
  const { stdout } = await execFileP('git', args, { cwd, env: gitEnv(person), maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

export async function createDemoRepo(opts: DemoRepoOptions = {}): Promise<DemoRepo> {
  const repository = opts.repository ?? 'demo/widgets';
  const branch = opts.branch ?? 'main';
  const root = await mkdtemp(join(tmpdir(), 'countersign-demo-'));
  const remote = join(root, 'remote.git');
  const clone = join(root, 'clone');
  const fmt = opts.objectFormat ? [`--object-format=${opts.objectFormat}`] : [];

  await git(['init', '-q', '--bare', ...fmt, '-b', branch, remote], root);
  await git(['init', '-q', ...fmt, '-b', branch, clone], root);
  await git(['remote', 'add', 'origin', remote], clone);

  const write = async (rel: string, content: string) => {
    const p = join(clone, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
  };

  const commit = async (files: Record<string, string>, message: string, author: Person = AUTHOR): Promise<DemoCommit> => {
    for (const [rel, content] of Object.entries(files)) await write(rel, content);
    await git(['add', '--', ...Object.keys(files)], clone, author);
    await git(['commit', '-q', '-m', message], clone, author);
    const [id, tree] = (await git(['rev-parse', 'HEAD', 'HEAD^{tree}'], clone)).split('\n');
    return { id, tree, title: message.split('\n')[0] };
  };

  await commit({ 'README.md': '# widgets\n' }, 'Initial commit', MAINTAINER);
  const files: Record<string, string> = {
    '.countersign/allowed_signers': allowedSignersText(opts.signers ?? []),
  };
  if (opts.policyText !== undefined) files['.countersign/policy.json'] = opts.policyText;
  else if (opts.policy !== null) {
    files['.countersign/policy.json'] = JSON.stringify({ repository, threshold: 2, ...(opts.policy ?? {}) }, null, 2) + '\n';
  }
  const policyCommit = (await commit(files, 'Add Countersign policy', MAINTAINER)).id;

  const commits: DemoCommit[] = [];
  for (let i = 1; i <= (opts.commits ?? 3); i++) {
    commits.push(await commit({ [`src/widget-${i}.txt`]: `widget ${i}\n` }, `Add widget ${i}`));
  }
  await git(['push', '-q', 'origin', branch], clone);
  // A clone of an empty remote has no origin/HEAD; set it as `git clone` would have.
  await git(['remote', 'set-head', 'origin', branch], clone);

  return {
    root,
    remote,
    clone,
    repository,
    branch,
    policyCommit,
    commits,
    git: (args, cwd = clone) => git(args, cwd),
    commit,
    async cloneAgain(name) {
      const dir = join(root, name);
      await git(['clone', '-q', remote, dir], root);
      return dir;
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
