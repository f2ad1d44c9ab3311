import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseNoteLine } from '../notes/line';
import { fetchNotes, removeLocalNoteLines, unpublishedNoteLines, type NoteEntry } from '../notes/store';
import { REMOTE, type RepoHandle } from '../server/repos';
import { fingerprintSha256 } from '../ssh/public-key';
import { parseSshSig } from '../sshsig/format';
import { currentClaim } from '../store/approval-claims';
import type { Queryable } from '../store/db';

/**
 * Before this instance publishes lines it may have saved long ago (after a restart, or while its
 * remote was down), it drops those whose approval another instance has recorded with another line
 * meanwhile: an instance killed between saving a line and answering, whose client then approved
 * again on another instance. The claim row says which line stands (lib/store/approval-claims.ts).
 *
 * Only lines the remote does not have are looked at, and only after a fresh fetch of the remote's
 * notes: a line that reached the remote stays (notes merge three ways, so a removal would travel).
 * Returns the lines dropped.
 */
export async function retractSupersededLines(db: Queryable, repo: RepoHandle, notesRef: string): Promise<NoteEntry[]> {
  if (!existsSync(path.join(repo.dir, 'HEAD'))) return []; // still being cloned: nothing of ours in it
  try {
    await fetchNotes(repo.dir, REMOTE, notesRef);
  } catch {
    return []; // the remote cannot be reached: what it holds is unknown, so nothing is dropped
  }
  const unpublished = await unpublishedNoteLines(repo.dir, REMOTE, notesRef);
  const superseded: NoteEntry[] = [];
  for (const e of unpublished) {
    let key;
    try {
      const n = parseNoteLine(e.line);
      key = {
        repo: repo.config.name,
        commitId: e.commit,
        keyFingerprint: fingerprintSha256(parseSshSig(n.signature).publicKey),
        verdict: n.verdict,
        base: n.base ?? null,
      };
    } catch {
      continue; // not a line this server wrote
    }
    const claim = await currentClaim(db, key);
    if (claim && claim.line !== e.line) superseded.push(e);
  }
  if (superseded.length > 0) await removeLocalNoteLines(repo.dir, notesRef, superseded);
  return superseded;
}
