/**
 * Times in allowed_signers `valid-after=` / `valid-before=` (misc.c parse_absolute_time):
 * YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, with an optional `Z` or `UTC` suffix (any case)
 * meaning UTC; without it the time is local, as ssh-keygen reads it. Returns Unix seconds,
 * or null when OpenSSH would refuse the value.
 */
export function parseAbsoluteTime(s: string): number | null {
  let l = s.length;
  let utc = false;
  if (l > 1 && s.slice(l - 1).toLowerCase() === 'z') {
    utc = true;
    l -= 1;
  } else if (l > 3 && s.slice(l - 3).toLowerCase() === 'utc') {
    utc = true;
    l -= 3;
  }
  if (l !== 8 && l !== 12 && l !== 14) return null;
  const digits = s.slice(0, l);
  if (!/^[0-9]+$/.test(digits)) return null;
  const year = Number(digits.slice(0, 4));
  const month = Number(digits.slice(4, 6));
  const day = Number(digits.slice(6, 8));
  const hour = l >= 12 ? Number(digits.slice(8, 10)) : 0;
  const minute = l >= 12 ? Number(digits.slice(10, 12)) : 0;
  const second = l === 14 ? Number(digits.slice(12, 14)) : 0;
  // glibc strptime's ranges; mktime/timegm then normalise (e.g. 31 February becomes 3 March).
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 61) return null;
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const wall = new Date(0);
  wall.setUTCFullYear(year, month - 1, day);
  wall.setUTCHours(hour, minute, second, 0);
  let ms = wall.getTime();
  if (!utc) {
    // mktime with tm_isdst = 0 (the struct was zeroed): the wall-clock time is read as standard
    // time even when daylight saving is in force, so use the zone's standard offset.
    const standardOffsetMin = Math.max(
      new Date(year, 0, 1).getTimezoneOffset(),
      new Date(year, 6, 1).getTimezoneOffset(),
    );
    ms += standardOffsetMin * 60_000;
  }
  // Before the epoch: OpenSSH refuses a negative time_t.
  const t = Math.floor(ms / 1000);
  if (!Number.isFinite(t) || t < 0) return null;
  return t;
}

/** Formats Unix seconds as YYYYMMDDHHMMSSZ, a form parseAbsoluteTime and OpenSSH both read. */
export function formatAbsoluteTimeUtc(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}
