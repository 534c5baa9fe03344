import { createContext, Script } from 'node:vm';

/**
 * How many times a match that ran out of wall-clock time without using its CPU time is started
 * again before it is given up on.
 */
const MAX_ATTEMPTS = 5;

// A backtracking match cannot be interrupted from JavaScript; in a vm context with a timeout, V8's
// watchdog thread can. One script and context serve every regex: a run sets both and reads the result.
const matchScript = new Script('regex.test(input)');
const matchContext = createContext({});

// Not `instanceof Error`: the vm's timeout error is made in the context's realm, not this one.
function isTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/**
 * `regex.test(input)`, given `limitMs` of CPU time: a runaway (catastrophically backtracking) match
 * throws the vm's timeout error instead of holding the event loop.
 *
 * The vm's limit is wall-clock time, so a short match on a loaded machine, whose process was not
 * scheduled for the length of the limit, also ran out of it: a valid tool refused at registration,
 * valid args or harmless text refused. A match that timed out having used less CPU time than the
 * limit (the process's CPU time, other threads included, so this errs towards refusing) is started
 * again, up to MAX_ATTEMPTS times in all; a match that used the limit in CPU time is given up on.
 */
export function timeLimitedTest(regex: RegExp, input: string, limitMs: number): boolean {
  const start = process.cpuUsage();
  for (let attempt = 1; ; attempt += 1) {
    matchContext.regex = regex;
    matchContext.input = input;
    try {
      return matchScript.runInContext(matchContext, { timeout: limitMs }) === true;
    } catch (error) {
      if (!isTimeout(error) || attempt >= MAX_ATTEMPTS || cpuMsSince(start) >= limitMs) throw error;
    }
  }
}
