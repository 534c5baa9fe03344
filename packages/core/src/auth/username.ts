/**
 * The one form a username is kept, compared and signed in: Unicode NFKC, then lower case. `Admin`,
 * `ADMIN` and a full-width `ａｄｍｉｎ` are all the user `admin`, so a name cannot be taken twice by
 * spelling it differently, and a throttle or a self-approval check cannot be sidestepped that way.
 * Every path where a username comes in (login, user admin, token claims, runAs, approvals) goes
 * through this function.
 */
export function normalizeUsername(username: string): string {
  // Lower-casing can leave a string that is no longer NFKC (e.g. a precomposed capital), so normalise twice.
  return username.normalize('NFKC').toLowerCase().normalize('NFKC');
}

/** Whether two usernames name the same user. */
export function sameUsername(a: string, b: string): boolean {
  return normalizeUsername(a) === normalizeUsername(b);
}
