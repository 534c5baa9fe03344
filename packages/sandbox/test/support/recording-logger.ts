import type { SandboxLogger } from '../../src/index.js';

/** One line the pool logged: its level, message and fields. */
export type LogLine = [level: 'info' | 'warn' | 'error', message: string, fields: Readonly<Record<string, unknown>> | undefined];

/** A pool logger that keeps every line, for tests that assert what the pool logged. */
export function recordingLogger(): SandboxLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (message, fields) => lines.push(['info', message, fields]),
    warn: (message, fields) => lines.push(['warn', message, fields]),
    error: (message, fields) => lines.push(['error', message, fields]),
  };
}
