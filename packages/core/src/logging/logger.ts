/** Structured fields for one log line. Never put secrets here: the gateway itself never does. */
export type LogFields = Readonly<Record<string, unknown>>;

/** What the gateway logs through. Pass your own (pino, winston, console) to `new Gateway({ logger })`. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

function errorFields(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

/** One JSON object per line on stderr: what a log shipper expects. */
export function createJsonLogger(write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const log = (level: string, message: string, fields?: LogFields): void => {
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, message };
    if (fields) for (const [key, value] of Object.entries(fields)) entry[key] = errorFields(value);
    write(`${JSON.stringify(entry)}\n`);
  };
  return {
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}

/** For tests and hosts that log elsewhere. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
