import { Readable } from 'node:stream';
import { runCli } from '../../src/index.js';

export interface Ran {
  readonly status: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/** The same commands as the bin, without a process per case: `input` is standard input, `env` the environment. */
export async function runInProcess(args: readonly string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const io = {
    out: (text: string) => void (stdout += text),
    err: (text: string) => void (stderr += text),
    stdin: Readable.from([options.input ?? '']),
    env: options.env ?? {},
  };
  const status = await runCli(args, io);
  return { status, stdout, stderr };
}
