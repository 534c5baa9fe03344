import type { ChildProcess } from 'node:child_process';

/**
 * Collects the error-level lines a server process logs (JSON lines on stderr), so a smoke test can
 * show why a process answered 500 instead of only that it did, and can assert that none were logged.
 */
export function collectErrorLines(child: ChildProcess): () => string[] {
  const lines: string[] = [];
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const complete = text.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) {
      if (/"level":"(error|fatal)"/.test(line) || (line !== '' && !line.startsWith('{'))) lines.push(line);
    }
  });
  return () => [...lines];
}
