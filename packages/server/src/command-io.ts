/** Standard input as `users add` reads it: a pipe or file, or a terminal it asks on. */
export type CommandInput = NodeJS.ReadableStream & {
  readonly isTTY?: boolean;
  /** A terminal's raw mode, so a password is read without echo. */
  setRawMode?(raw: boolean): unknown;
};

/** Where a command reads and writes; the `agent-gateway` bin passes the process's own, tests their own. */
export interface CommandIo {
  /** Standard output. */
  out(text: string): void;
  /** Standard error. */
  err(text: string): void;
  /** Where `users add` reads the new password. */
  readonly stdin: CommandInput;
  /** The environment the settings come from, under the flags and over the config file. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The command was given wrongly: its message and the usage of the command, exit status 2. */
export class UsageError extends Error {
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message);
    this.name = 'UsageError';
    this.usage = usage;
  }
}
