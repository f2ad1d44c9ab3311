import { CountersignError } from '../errors';
import { checkObjectId, checkPrincipal, checkRepository, checkTime, checkVerdict } from './fields';

/** The namespace every Countersign review signature is made under. Never `git`: an approval must not pass for a commit signature. */
export const DEFAULT_NAMESPACE = 'countersign-review@countersign.dev';

export const STATEMENT_HEADER = 'countersign review statement v1';

export interface ReviewStatement {
  repository: string;
  commit: string;
  tree: string;
  verdict: string;
  signer: string;
  time: string;
}

const ORDER = ['repository', 'commit', 'tree', 'verdict', 'signer', 'time'] as const;

/** Validates every field; throws CountersignError('bad-input') naming the first bad one. */
export function checkStatement(s: ReviewStatement): ReviewStatement {
  checkRepository(s.repository);
  checkObjectId(s.commit, 'commit id');
  checkObjectId(s.tree, 'tree id');
  if (s.commit.length !== s.tree.length) {
    throw new CountersignError('bad-input', 'commit and tree ids use different object formats (SHA-1 vs SHA-256)');
  }
  checkVerdict(s.verdict);
  checkPrincipal(s.signer);
  checkTime(s.time);
  return s;
}

/**
 * The exact bytes that are signed (as the SSHSIG message): a header line, then one
 * `name: value` line per field in fixed order, each ending in LF, UTF-8 (all ASCII in practice).
 */
export function serializeStatement(s: ReviewStatement): string {
  checkStatement(s);
  return [STATEMENT_HEADER, ...ORDER.map((k) => `${k}: ${s[k]}`)].join('\n') + '\n';
}

export function statementBytes(s: ReviewStatement): Uint8Array {
  return new TextEncoder().encode(serializeStatement(s));
}

/** Strict inverse of serializeStatement: anything that would not re-serialize to the same bytes is refused. */
export function parseStatement(text: string): ReviewStatement {
  const lines = text.split('\n');
  if (lines.length !== ORDER.length + 2 || lines[0] !== STATEMENT_HEADER || lines[lines.length - 1] !== '') {
    throw new CountersignError('bad-statement', 'not a Countersign review statement (wrong header or line count)');
  }
  const out: Record<string, string> = {};
  ORDER.forEach((k, i) => {
    const line = lines[i + 1];
    const prefix = `${k}: `;
    if (!line.startsWith(prefix)) {
      throw new CountersignError('bad-statement', `statement line ${i + 2} should start with "${prefix}"`);
    }
    out[k] = line.slice(prefix.length);
  });
  const s = out as unknown as ReviewStatement;
  try {
    checkStatement(s);
  } catch (e) {
    throw new CountersignError('bad-statement', `statement field invalid: ${(e as Error).message}`);
  }
  return s;
}
