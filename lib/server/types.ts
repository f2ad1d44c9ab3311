/**
 * View models shared by the server (lib/server/*), the route handlers and the pages.
 * JSON-safe: everything here crosses the wire to the browser and into IndexedDB.
 */

export interface UserView {
  id: string;
  email: string; // also the SSH principal used in allowed_signers and statements
  displayName: string;
  isAdmin: boolean;
}

export interface DeviceView {
  id: string;
  name: string;
  createdAt: string; // ISO
  lastUsedAt: string | null;
  revokedAt: string | null;
  fingerprint: string; // SHA256:…
  publicKey: string; // "sk-ecdsa-sha2-nistp256@openssh.com AAAA…"
  allowedSignersLine: string;
}

export interface PersonView {
  name: string;
  email: string;
  date: string; // ISO
}

export interface DiffLineView {
  kind: 'add' | 'del' | 'ctx';
  text: string;
  oldNo?: number;
  newNo?: number;
  /** Characters of this line left out (a very long line is cut; the rest loads on request). */
  cut?: number;
}

/**
 * One row of a file's diff as the review page pages it: a hunk header or a line. A file's rows
 * are numbered from 0 in patch order; a chunk of the diff API is a slice of them.
 */
export type DiffRowView = { kind: 'hunk'; text: string } | DiffLineView;

export interface DiffFileView {
  path: string;
  oldPath?: string;
  status: 'added' | 'deleted' | 'modified' | 'renamed' | 'copied' | 'type-changed';
  additions: number;
  deletions: number;
  binary: boolean;
  hunks: { header: string; lines: DiffLineView[] }[];
  /** Lines of this file not shown because the diff was too large. */
  hiddenLines?: number;
  /**
   * The review page's paged diff (set there, and by the diff API): the first rows of this file
   * (`rows`, `hunks` then empty) and where its next chunk starts (`next`: a row number), or
   * `deferred` when none of it is in the page yet. Absent: `hunks` is all there is.
   */
  rows?: DiffRowView[];
  next?: number | null;
  deferred?: true;
}

export interface DiffView {
  files: DiffFileView[];
  truncated: { files: number; lines: number }; // what was cut
  /**
   * The review page's paged diff: files after `files` are not in the page but load on request
   * (from file number `offset` of the whole list), with their totals.
   */
  more?: { offset: number; files: number; additions: number; deletions: number };
  /** The whole diff's totals (paged diff: every file, listed or not). */
  totals?: { files: number; additions: number; deletions: number; binary: number };
}

/** A chunk of one file's diff (GET …/diff?path=…&start=N): rows start..start+rows.length. */
export interface DiffChunkView {
  path: string;
  oldPath?: string;
  binary: boolean;
  start: number;
  rows: DiffRowView[];
  /** Where the next chunk starts, or null when this was the last. */
  next: number | null;
  /**
   * The file's diff is larger than the server reads for one file: rows after the last chunk are
   * not available here (the page says how many changed lines, and to use git).
   */
  cut: boolean;
}

/** A page of the file list (GET …/diff?files=N): file entries without their rows. */
export interface DiffFilesPageView {
  offset: number;
  files: DiffFileView[];
  /** Where the next page starts, or null. */
  next: number | null;
  total: number;
}

/**
 * counted: counts toward the threshold. not-counted: verifies, but does not count (the author's
 * own, a signer or key already counted, not an approval). valid-untrusted: a good signature by a
 * key the repository's allowed_signers does not list (recorded; counts once the key is added).
 * invalid: does not verify (bad signature, another statement or namespace, expired key, a key
 * listed for someone else, UP/UV/origin/RP ID policy, unreadable line).
 */
export type SignatureStatus = 'counted' | 'not-counted' | 'valid-untrusted' | 'invalid';

export interface SignatureLineView {
  line: string;
  signer: string;
  verdict: string;
  time: string;
  ok: boolean;
  reason?: string; // why it does not verify / does not count
  fingerprint?: string;
  counted: boolean;
  status: SignatureStatus;
  /**
   * On a change's page, what the line approves: `change` this change (its base, or an older one:
   * the signer saw all of it), `last-commit` only the head commit (a v1 approval whose base, the
   * head's first parent, is not this change's), `other-base` the head against a later base (part
   * of this change). Lines that do not approve this change never count on its page.
   */
  scope?: 'change' | 'last-commit' | 'other-base';
  /** The base the line names (v2) or implies (v1: the head's first parent; null for a root commit). */
  base?: string | null;
}

export interface PolicyStateView {
  threshold: number;
  count: number; // distinct trusted signers counted
  met: boolean;
  signers: string[]; // principals counted
  excludedAuthor?: string;
}

export interface ReviewView {
  repo: string;
  commit: string;
  shortId: string;
  tree: string;
  objectFormat: 'sha1' | 'sha256';
  title: string;
  message: string;
  author: PersonView;
  committer: PersonView;
  parents: string[];
  commitSignature: 'none' | 'present'; // the commit's own gpgsig header
  reachable: boolean; // from any branch of the remote
  branches: string[];
  signatures: SignatureLineView[];
  policy: PolicyStateView;
  /** The statement that this viewer would sign now (null if not signed in). */
  statementPreview: string | null;
  namespace: string;
  viewerHasSigned: boolean;
  /** When the viewer's approval that stands (their earliest approve line) was signed; null if none. */
  viewerSignedAt: string | null;
  viewerKeyTrusted: boolean | null; // null when not signed in or no device
  pendingPublish: boolean; // notes saved locally but not yet pushed
  diff: DiffView;
  /** Present when reviewing a change (head `commit` against `change.base`): what the signature covers. */
  change?: ChangeView;
}

export interface ChangeCommitView {
  id: string;
  shortId: string;
  title: string;
  authorName: string;
  authorEmail: string;
  date: string; // ISO, author date
}

/** A change: the commits from `base` (exclusive) to the head, and the combined diff between them. */
export interface ChangeView {
  /** Full id of the base the approval names: the merge-base of the requested base and the head. */
  base: string;
  baseShortId: string;
  baseTitle: string;
  /** The branch the base was taken from, as the link named it (text only; the signature names `base`). */
  baseName: string | null;
  /** That branch has moved since: its merge-base with the head is no longer `base` (or it is gone). */
  baseNameMoved: boolean;
  /** The commits, oldest first (at most CHANGE_MAX_LISTED; `commitCount` is the whole). */
  commits: ChangeCommitView[];
  commitCount: number;
}

export interface InboxItemView {
  id: string;
  repo: string;
  commit: string;
  shortId: string;
  title: string;
  requestedBy: string;
  requestedAt: string;
  count: number;
  threshold: number;
  met: boolean;
  viewerHasSigned: boolean;
  /** A change: the base it is to be reviewed against (full id), its branch name, and its size. */
  base?: string;
  baseName?: string;
  commitCount?: number;
  /** Made for a forge's pull request (lib/forge): its number, title and link. */
  pr?: PullRequestView;
}

export interface PullRequestView {
  number: number;
  title: string;
  url: string;
  /** Earlier heads of the pull request that have signatures (a push replaced them), newest first. */
  earlier: { commit: string; shortId: string; signatures: number }[];
}

export type ApproveStatus = 'published' | 'saved' | 'already';

export interface ApproveResultView {
  status: ApproveStatus; // published: pushed; saved: in local notes, will be published
  line: string;
  fingerprint: string;
  counted: boolean; // key is in the repository's trusted allowed_signers
  warning?: string;
  policy: PolicyStateView;
}
