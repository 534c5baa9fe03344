import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog, verifyChain, type AuditEntry } from '../../src/index.js';

const fixture = resolve(__dirname, 'fixtures/append-under-load.ts');

describe('AuditLog crash safety', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('SIGKILL while appending under load: every acknowledged entry survives and the chain verifies', async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-crash-'));
    const path = join(dir, 'audit.log');
    // One process (node with tsx's loader), so SIGKILL hits the appender itself, not a wrapper.
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = new Set<number>();
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolveExit) => child.once('exit', (_code, signal) => resolveExit(signal)));
    await new Promise<void>((resolveEnough, reject) => {
      child.once('exit', () => reject(new Error(`the appender exited on its own: ${stderr}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop() ?? '';
        for (const part of parts) if (part !== '') acked.add(Number(part));
        // Kill it in the middle of the stream, well into the load.
        if (acked.size >= 5_000) {
          child.kill('SIGKILL');
          resolveEnough();
        }
      });
    });
    expect(await exited).toBe('SIGKILL');

    const report = await verifyChain(path);
    expect(report.ok, JSON.stringify(report.first_broken)).toBe(true);
    const durable = new Set(
      (await readFile(path, 'utf8'))
        .split('\n')
        .filter((line) => line.startsWith('{') && line.endsWith('}'))
        .map((line) => (JSON.parse(line) as AuditEntry).seq),
    );
    const lost = [...acked].filter((seq) => !durable.has(seq));
    expect(lost).toEqual([]);
    expect(report.last_seq).toBeGreaterThanOrEqual(Math.max(...acked));

    // The log reopens after the crash and continues the chain.
    const reopened = await AuditLog.open(path);
    const next = await reopened.append('after_crash', { type: 'system', name: 'test' }, {});
    await expect(reopened.verify()).resolves.toMatchObject({ ok: true, last_seq: next.seq });
    await reopened.close();
    // 20,000 fsynced appends in a child process: a bound on a hang on a loaded machine, not a measurement.
  }, 60_000);
});
