import { runGit } from '../git/run';

/** Notes commits are bookkeeping, so they carry a fixed identity: no user config is needed on a server. */
export const NOTES_IDENTITY = { name: 'Countersign', email: 'countersign@localhost' };

export const NOTES_IDENTITY_ENV = {
  GIT_AUTHOR_NAME: NOTES_IDENTITY.name,
  GIT_AUTHOR_EMAIL: NOTES_IDENTITY.email,
  GIT_COMMITTER_NAME: NOTES_IDENTITY.name,
  GIT_COMMITTER_EMAIL: NOTES_IDENTITY.email,
};

function data(buf: Buffer): Buffer[] {
  return [Buffer.from(`data ${buf.length}\n`), buf, Buffer.from('\n')];
}

export type WriteOutcome = { ok: true } | { ok: false; raced: boolean; stderr: string };

/**
 * Writes one notes commit on top of `parent` (null: a new ref) that sets the given notes, with
 * `git fast-import`: one process for any number of notes, fanout maintained by git itself.
 * fast-import only moves the ref if the new commit contains the ref's current value, checked in
 * a ref transaction against the value it read: a compare-and-swap. `raced` says another writer
 * moved the ref first (re-read and retry) as opposed to any other failure.
 */
export async function writeNotesCommit(
  repoDir: string,
  ref: string,
  parent: string | null,
  notes: Map<string, Buffer>,
  message: string,
  /** Paths where the old notes of these commits sit (see readNotesFor), removed first. */
  replacePaths: Map<string, string[]> = new Map(),
): Promise<WriteOutcome> {
  const now = Math.floor(Date.now() / 1000);
  const chunks: Buffer[] = [
    Buffer.from(`commit ${ref}\ncommitter ${NOTES_IDENTITY.name} <${NOTES_IDENTITY.email}> ${now} +0000\n`),
    ...data(Buffer.from(message)),
  ];
  // Without `from` the commit has no parent and an empty tree; if the ref appeared meanwhile,
  // fast-import refuses the update (our commit does not contain it), which is the CAS we want.
  if (parent) chunks.push(Buffer.from(`from ${parent}\n`));
  for (const [commit, content] of notes) {
    // fast-import's N only replaces a note at the fanout it would choose itself; a note that
    // `git notes` laid out at another depth would survive beside the new one (git then shows
    // both, concatenated). So the old note is deleted wherever it actually is.
    for (const path of replacePaths.get(commit) ?? []) chunks.push(Buffer.from(`D ${path}\n`));
    // Empty content: the note is removed (a retraction left nothing), not kept as an empty blob.
    if (content.length > 0) chunks.push(Buffer.from(`N inline ${commit}\n`), ...data(content));
  }
  chunks.push(Buffer.from('\ndone\n'));
  // unpackLimit=0: keep fast-import's pack rather than exploding it into loose objects (measured
  // about twice as fast per append); maybeMaintain() keeps the number of packs in check.
  const r = await runGit(['-c', 'fastimport.unpackLimit=0', 'fast-import', '--quiet', '--done'], {
    cwd: repoDir,
    input: Buffer.concat(chunks),
    allowFailure: true,
  });
  if (r.code === 0) return { ok: true };
  const raced = /not updating|cannot lock|unable to create .*\.lock|but expected|reference already exists/i.test(r.stderr);
  return { ok: false, raced, stderr: r.stderr.trim() };
}

const writesSinceMaintenance = new Map<string, number>();
const MAINTENANCE_EVERY = 50;

/**
 * Every append leaves a small pack; nothing else in our flow reliably runs git's housekeeping,
 * so every 50 writes per repository ask for `git gc --auto` (which honours gc.auto and
 * gc.autoPackLimit, and detaches by default). Failures here never fail a write.
 */
export async function maybeMaintain(repoDir: string, key: string): Promise<void> {
  const n = (writesSinceMaintenance.get(key) ?? 0) + 1;
  if (n < MAINTENANCE_EVERY) {
    writesSinceMaintenance.set(key, n);
    return;
  }
  writesSinceMaintenance.set(key, 0);
  await runGit(['gc', '--auto', '--quiet'], { cwd: repoDir, allowFailure: true });
}
