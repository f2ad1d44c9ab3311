import { CountersignError } from '../errors';
import { checkObjectId, checkPrincipal, checkRepository, checkTime, checkVerdict } from './fields';

/** The namespace every Countersign review signature is made under. Never `git`: an approval must not pass for a commit signature. */
export const DEFAULT_NAMESPACE = 'countersign-review@countersign.dev';

/** v1: one commit (its base is implicitly its first parent). Valid forever. */
export const STATEMENT_HEADER = 'countersign review statement v1';
/** v2: a change, head plus the base the reviewer was shown it against. */
export const STATEMENT_HEADER_V2 = 'countersign review statement v2';

export interface ReviewStatement {
  repository: string;
  /** The approved commit; for a change, its head. */
  commit: string;
  tree: string;
  /**
   * The commit the change was reviewed against (merge-base of the requested base and the head).
   * Present: a v2 statement (a change). Absent: a v1 statement (the single commit, base = its first parent).
   */
  base?: string;
  verdict: string;
  signer: string;
  time: string;
}

type Field = 'repository' | 'commit' | 'tree' | 'base' | 'verdict' | 'signer' | 'time';
const ORDER_V1: readonly Field[] = ['repository', 'commit', 'tree', 'verdict', 'signer', 'time'];
const ORDER_V2: readonly Field[] = ['repository', 'commit', 'tree', 'base', 'verdict', 'signer', 'time'];

const isV2 = (s: Pick<ReviewStatement, 'base'>) => s.base !== undefined;

/** Validates every field; throws CountersignError('bad-input') naming the first bad one. */
export function checkStatement(s: ReviewStatement): ReviewStatement {
  checkRepository(s.repository);
  checkObjectId(s.commit, 'commit id');
  checkObjectId(s.tree, 'tree id');
  if (s.commit.length !== s.tree.length) {
    throw new CountersignError('bad-input', 'commit and tree ids use different object formats (SHA-1 vs SHA-256)');
  }
  if (isV2(s)) {
    checkObjectId(s.base as string, 'base commit id');
    if ((s.base as string).length !== s.commit.length) {
      throw new CountersignError('bad-input', 'base and commit ids use different object formats (SHA-1 vs SHA-256)');
    }
  }
  checkVerdict(s.verdict);
  checkPrincipal(s.signer);
  checkTime(s.time);
  return s;
}

/**
 * The exact bytes that are signed (as the SSHSIG message): a header line, then one
 * `name: value` line per field in fixed order, each ending in LF, UTF-8 (all ASCII in practice).
 * A statement with a base is v2 (8 lines), without one v1 (7 lines).
 */
export function serializeStatement(s: ReviewStatement): string {
  checkStatement(s);
  const [header, order] = isV2(s) ? [STATEMENT_HEADER_V2, ORDER_V2] : [STATEMENT_HEADER, ORDER_V1];
  return [header, ...order.map((k) => `${k}: ${s[k]}`)].join('\n') + '\n';
}

export function statementBytes(s: ReviewStatement): Uint8Array {
  return new TextEncoder().encode(serializeStatement(s));
}

/** Strict inverse of serializeStatement: anything that would not re-serialize to the same bytes is refused. */
export function parseStatement(text: string): ReviewStatement {
  const lines = text.split('\n');
  const order = lines[0] === STATEMENT_HEADER ? ORDER_V1 : lines[0] === STATEMENT_HEADER_V2 ? ORDER_V2 : null;
  if (!order || lines.length !== order.length + 2 || lines[lines.length - 1] !== '') {
    throw new CountersignError('bad-statement', 'not a Countersign review statement (wrong header or line count)');
  }
  const out: Partial<Record<Field, string>> = {};
  order.forEach((k, i) => {
    const line = lines[i + 1];
    const prefix = `${k}: `;
    if (!line.startsWith(prefix)) {
      throw new CountersignError('bad-statement', `statement line ${i + 2} should start with "${prefix}"`);
    }
    out[k] = line.slice(prefix.length);
  });
  const s = out as ReviewStatement;
  try {
    checkStatement(s);
  } catch (e) {
    throw new CountersignError('bad-statement', `statement field invalid: ${(e as Error).message}`);
  }
  return s;
}
