import { principalMatches } from '../allowed-signers';
import { noteLines, parseNoteLine } from '../notes/line';
import { listNotes, readNotesFor, readTip } from '../notes/tree';
import { fingerprintSha256 } from '../ssh/public-key';
import { parseSshSig } from '../sshsig/format';
import { DEFAULT_NOTES_REF } from '../config/config';
import { listCredentials } from '../store/credentials';
import type { App } from './app';
import type { UserView } from './types';

/**
 * "Your signatures": every note line signed by one of the viewer's keys — their passkeys (revoked
 * ones too), and the keys a repository's trusted allowed_signers lists for their address (an SSH
 * key used with `countersign sign`) — read from the notes themselves (not from the server's own
 * records), so that a signature the viewer did not mean to make — e.g. a sign-in ceremony a
 * compromised server turned into an approval — shows up here. The alarm (lib/notify) tells of
 * each new one as it arrives.
 */
export interface MySignatureView {
  repo: string;
  commit: string;
  verdict: string;
  /** The signing time written in the line. */
  time: string;
  /** v2 lines: the base of the change reviewed. */
  base?: string;
  /** The device (passkey) whose key made it, or "SSH key SHA256:…" for a key allowed_signers lists. */
  device: string;
  fingerprint: string;
}

/** Lines read per repository at most (bounds the cost of a notes ref someone filled with junk). */
const MAX_LINES = 200_000;

interface Indexed {
  byFingerprint: Map<string, Array<Omit<MySignatureView, 'device' | 'repo'>>>;
}

/** Per repository, the index of the notes tip it was built from (notes only grow: rebuilt on change). */
const cache = new Map<string, { tip: string | null; index: Indexed }>();

async function indexNotes(repoDir: string, notesRef: string): Promise<Indexed> {
  const key = `${repoDir}\0${notesRef}`;
  const tip = await readTip(repoDir, notesRef);
  const hit = cache.get(key);
  if (hit && hit.tip === tip) return hit.index;
  const byFingerprint: Indexed['byFingerprint'] = new Map();
  const commits = [...(await listNotes(repoDir, tip)).keys()];
  const notes = await readNotesFor(repoDir, tip, commits);
  let seen = 0;
  for (const [commit, note] of notes) {
    for (const text of noteLines(note.content.toString('utf8'))) {
      if (++seen > MAX_LINES) break;
      try {
        const line = parseNoteLine(text);
        const fp = fingerprintSha256(parseSshSig(line.signature).publicKey);
        const list = byFingerprint.get(fp) ?? [];
        list.push({ commit, verdict: line.verdict, time: line.time, ...(line.base ? { base: line.base } : {}), fingerprint: fp });
        byFingerprint.set(fp, list);
      } catch {
        /* a line that does not parse was signed by nobody's key */
      }
    }
  }
  const index = { byFingerprint };
  cache.set(key, { tip, index });
  return index;
}

/** The viewer's signatures in every configured repository, newest first, at most `limit`. */
export async function signaturesOf(app: App, viewer: UserView, limit = 50): Promise<{ items: MySignatureView[]; total: number }> {
  const creds = await listCredentials(app.db, viewer.id, { includeRevoked: true });
  const names = new Map(creds.map((c) => [c.fingerprint, c.name]));
  const all: MySignatureView[] = [];
  for (const repo of app.repos.values()) {
    let notesRef = repo.config.notesRef ?? DEFAULT_NOTES_REF;
    const keys = new Map(names);
    try {
      const trusted = await repo.trusted();
      notesRef = repo.notesRefFor(trusted);
      for (const s of trusted.allowedSigners) {
        if (s.certAuthority || !principalMatches(viewer.email, s.principals)) continue;
        const fp = fingerprintSha256(s.key);
        if (!keys.has(fp)) keys.set(fp, `SSH key ${fp}`);
      }
    } catch {
      /* a broken policy: read the configured ref, passkeys only */
    }
    const index = await indexNotes(repo.dir, notesRef);
    for (const [fp, device] of keys) {
      for (const s of index.byFingerprint.get(fp) ?? []) all.push({ ...s, repo: repo.config.name, device });
    }
  }
  all.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.commit.localeCompare(b.commit)));
  return { items: all.slice(0, limit), total: all.length };
}
