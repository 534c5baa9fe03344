import { scrubSecrets } from '../redaction/scrub-secrets.js';
import { traceFieldsOf } from './trace-fields.js';
import { scrubSecretText } from '../redaction/secret-text.js';

/**
 * Structured fields for one log line. The gateway's loggers scrub secrets from them and from the
 * message (`scrubSecrets`), but a line should not carry one in the first place.
 */
export type LogFields = Readonly<Record<string, unknown>>;

/** What the gateway logs through. Pass your own (pino, winston, console) to `new Gateway({ logger })`. */
export interface Logger {
  /** Something worth knowing happened. */
  info(message: string, fields?: LogFields): void;
  /** Something went wrong and the gateway carried on. */
  warn(message: string, fields?: LogFields): void;
  /** Something failed (a request answered 500, a part that stopped working). */
  error(message: string, fields?: LogFields): void;
}

/** Loggers whose lines are scrubbed already (or go nowhere): `scrubbingLogger` leaves them as they are. */
const scrubbing = new WeakSet<Logger>();

function errorFields(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

/** The fields as they may be written: errors spelled out (their messages echo inputs), secrets replaced. */
function scrubFields(fields: LogFields | undefined): Record<string, unknown> | undefined {
  if (fields === undefined) return undefined;
  const spelled: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) spelled[key] = errorFields(value);
  return scrubSecrets(spelled) as Record<string, unknown>;
}

/** One JSON object per line on stderr: what a log shipper expects. Secrets are scrubbed from every line. */
export function createJsonLogger(write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const log = (level: string, message: string, fields?: LogFields): void => {
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, message: scrubSecretText(message), ...scrubFields(fields), ...traceFieldsOf(fields) };
    write(`${JSON.stringify(entry)}\n`);
  };
  const logger: Logger = {
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
  scrubbing.add(logger);
  return logger;
}

/** The scrubbed fields with the active span's `trace_id` and `span_id` added, when there is one. */
function withTrace(scrubbed: Record<string, unknown> | undefined, given: LogFields | undefined): Record<string, unknown> | undefined {
  const ids = traceFieldsOf(given);
  return ids === undefined ? scrubbed : { ...scrubbed, ...ids };
}

/**
 * `logger` with secrets scrubbed from each message and its fields before it sees them (errors are
 * passed on spelled out as `{name, message, stack}`), and the active OpenTelemetry span's
 * `trace_id` and `span_id` added to a line logged inside one. The gateway wraps the logger it is given in
 * this, so a host's own logger (pino, winston) gets scrubbed lines too. Wrapping twice scrubs once.
 */
export function scrubbingLogger(logger: Logger): Logger {
  if (scrubbing.has(logger)) return logger;
  const wrapped: Logger = {
    info: (message, fields) => logger.info(scrubSecretText(message), withTrace(scrubFields(fields), fields)),
    warn: (message, fields) => logger.warn(scrubSecretText(message), withTrace(scrubFields(fields), fields)),
    error: (message, fields) => logger.error(scrubSecretText(message), withTrace(scrubFields(fields), fields)),
  };
  scrubbing.add(wrapped);
  return wrapped;
}

/** For tests and hosts that log elsewhere. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
scrubbing.add(silentLogger);
