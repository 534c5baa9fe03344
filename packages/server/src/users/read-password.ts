import type { CommandInput } from '../command-io.js';

/** Longer than any password the gateway accepts (1024): reading stops there. */
const MAX_BYTES = 4096;

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACE = '\u007f';

/**
 * The new user's password: the first line of standard input when it is a pipe or a file, or typed
 * twice at a terminal without being shown. Never an argument, which other users of the machine can
 * see in the process list.
 */
export async function readPassword(stdin: CommandInput, prompt: (text: string) => void): Promise<string> {
  if (stdin.isTTY !== true) return firstLine(stdin);
  const first = await askHidden(stdin, prompt, 'password: ');
  const second = await askHidden(stdin, prompt, 'again: ');
  if (first !== second) throw new Error('the two passwords differ');
  return first;
}

async function firstLine(stdin: CommandInput): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    if (text.includes('\n') || text.length > MAX_BYTES) break;
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') throw new Error('no password on standard input (pipe it in, e.g. `printf %s "$PASS" | agent-gateway users add ...`)');
  return line;
}

function askHidden(stdin: CommandInput, prompt: (text: string) => void, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (outcome: () => void): void => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      prompt('\n');
      outcome();
    };
    const onData = (chunk: Buffer | string): void => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n' || char === CTRL_D) return finish(() => resolve(typed));
        if (char === CTRL_C) return finish(() => reject(new Error('cancelled')));
        if (char === BACKSPACE) typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    prompt(question);
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
