import { fingerprintSha256 } from '../ssh/public-key';
import { principalMatches } from './match';
import type { AllowedSigner } from './parse';

/**
 * Signer identities: which allowed_signers lines belong to one person, so that the gate counts
 * people rather than principal strings.
 *
 * One line is one signer whatever it lists (`alice@example.org,alice@corp.example KEY`, or a
 * pattern such as `*@alice.dev KEY`: every address its key may sign as is the same person). Lines
 * are then tied together, transitively, when they
 * - list the same key (one key under several lines or patterns), or
 * - share a principal pattern (two devices of `alice@example.org`, each on its own line).
 * An identity is a connected component of that relation. Wildcards are not expanded into
 * ties: `*@example.org K1` and `bob@example.org K2` stay two identities (the file does not say
 * they are one person), but each still counts once however many addresses it signs as.
 */
export interface SignerIdentities {
  /** The identity (a small number) of the entry that accepted a signature. */
  of(entry: AllowedSigner): number;
  /** Identities of the lines whose key is this one (by SHA256 fingerprint). */
  ofKey(fingerprint: string): number[];
  /**
   * Identities one of whose lines lists this address (principal patterns matched as OpenSSH does,
   * ignoring case: an e-mail address is the same person in any case).
   */
  matching(address: string): number[];
  /** A name for messages: the first principal pattern of the identity's first line. */
  label(id: number): string;
}

const cache = new WeakMap<readonly AllowedSigner[], SignerIdentities>();

/** The positive (not `!`-negated) patterns of a principals list, lowercased. */
function positivePatterns(principals: string): string[] {
  return principals
    .split(',')
    .filter((p) => p.length > 0 && !p.startsWith('!'))
    .map((p) => p.toLowerCase());
}

/** Pure (and cached per parsed file): the identities of an allowed_signers file. */
export function signerIdentities(signers: readonly AllowedSigner[]): SignerIdentities {
  const hit = cache.get(signers);
  if (hit) return hit;

  const parent = signers.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };

  const fingerprints = signers.map((s) => fingerprintSha256(s.key));
  const firstWith = new Map<string, number>();
  const tie = (token: string, i: number) => {
    const j = firstWith.get(token);
    if (j === undefined) firstWith.set(token, i);
    else union(i, j);
  };
  signers.forEach((s, i) => {
    tie(`key ${fingerprints[i]}`, i);
    for (const p of positivePatterns(s.principals)) tie(`principal ${p}`, i);
  });

  const index = new Map<AllowedSigner, number>(signers.map((s, i) => [s, i]));
  const lowered = signers.map((s) => s.principals.toLowerCase());
  const result: SignerIdentities = {
    of(entry) {
      const i = index.get(entry);
      if (i !== undefined) return find(i);
      // An equal entry from another parse of the same file: match it by line and key.
      const j = signers.findIndex((s) => s.line === entry.line && s.principals === entry.principals && fingerprintSha256(s.key) === fingerprintSha256(entry.key));
      return j >= 0 ? find(j) : -1 - (entry.line ?? 0);
    },
    ofKey(fingerprint) {
      return [...new Set(fingerprints.flatMap((f, i) => (f === fingerprint ? [find(i)] : [])))];
    },
    matching(address) {
      const a = address.toLowerCase();
      return [...new Set(lowered.flatMap((p, i) => (principalMatches(a, p) ? [find(i)] : [])))];
    },
    label(id) {
      const s = signers[id];
      return s ? (s.principals.split(',').find((p) => !p.startsWith('!')) ?? s.principals) : '?';
    },
  };
  cache.set(signers, result);
  return result;
}
