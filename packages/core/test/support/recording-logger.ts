import type { Logger } from '../../src/index.js';

/** One line a logger was given: its level, message and fields. */
export type LogLine = [level: 'info' | 'warn' | 'error', message: string, fields: Readonly<Record<string, unknown>> | undefined];

/** A logger that keeps every line it is given, for tests that assert what was logged. */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (message, fields) => lines.push(['info', message, fields]),
    warn: (message, fields) => lines.push(['warn', message, fields]),
    error: (message, fields) => lines.push(['error', message, fields]),
  };
}
