/**
 * OpenSSH's pattern matching (match.c), used for allowed_signers principals and
 * `namespaces="…"`: `*` matches any run, `?` one character, case-sensitive; a list is
 * comma-separated and a `!pattern` that matches vetoes the whole list.
 */

/** match_pattern: does `s` match the single pattern `pattern`? */
export function matchPattern(s: string, pattern: string): boolean {
  return matchAt(s, 0, pattern, 0);
}

function matchAt(s: string, si: number, p: string, pi: number): boolean {
  for (;;) {
    if (pi === p.length) return si === s.length;
    if (p[pi] === '*') {
      while (pi < p.length && p[pi] === '*') pi++;
      if (pi === p.length) return true;
      if (p[pi] !== '?') {
        // Next pattern character is literal: try each place it occurs.
        for (; si < s.length; si++) {
          if (s[si] === p[pi] && matchAt(s, si + 1, p, pi + 1)) return true;
        }
        return false;
      }
      for (; si < s.length; si++) if (matchAt(s, si, p, pi)) return true;
      return false;
    }
    if (si === s.length) return false;
    if (p[pi] !== '?' && p[pi] !== s[si]) return false;
    si++;
    pi++;
  }
}

/** OpenSSH caps one sub-pattern at 1023 bytes; a longer one makes the whole list not match. */
const MAX_SUBPATTERN = 1023;

/**
 * match_pattern_list: 1 if some positive pattern matches (and no negated one does),
 * -1 if a negated pattern matches, 0 otherwise.
 */
export function matchPatternList(s: string, list: string): 1 | 0 | -1 {
  let gotPositive = false;
  let i = 0;
  while (i < list.length) {
    let negated = false;
    if (list[i] === '!') {
      negated = true;
      i++;
    }
    const start = i;
    while (i < list.length && list[i] !== ',') i++;
    const sub = list.slice(start, i);
    if (Buffer.byteLength(sub) >= MAX_SUBPATTERN) return 0;
    if (i < list.length) i++; // skip the comma
    if (matchPattern(s, sub)) {
      if (negated) return -1;
      gotPositive = true;
    }
  }
  return gotPositive ? 1 : 0;
}

/** True when `principal` is allowed by a principals (or namespaces) pattern list. */
export function principalMatches(principal: string, patterns: string): boolean {
  return matchPatternList(principal, patterns) === 1;
}
