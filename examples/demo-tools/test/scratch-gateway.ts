import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway, settledResult, silentLogger, systemCaller } from '@agent-gateway/core';
import { registerDemoTools } from '../src/index.js';

export interface ScratchGateway {
  /** Holds `scratch` and nothing else, so a test can see whether anything appeared beside it. */
  readonly workDir: string;
  readonly scratch: string;
  readonly gateway: Gateway;
  /** Requests file.write, approves it as someone else, and returns what the run gave (or throws its error). */
  write(path: string, content?: string): Promise<{ result: unknown }>;
  close(): Promise<void>;
}

export async function scratchGateway(): Promise<ScratchGateway> {
  const workDir = await mkdtemp(join(tmpdir(), 'file-write-'));
  const scratch = join(workDir, 'scratch');
  await mkdir(scratch);
  const gateway = new Gateway({ logger: silentLogger });
  registerDemoTools(gateway, { scratchDir: scratch });
  return {
    workDir,
    scratch,
    gateway,
    async write(path, content = 'data') {
      const outcome = await gateway.callTool({ tool: 'file.write', args: { path, content } });
      if (outcome.status !== 'pending') throw new Error('file.write ran without approval');
      const decided = await gateway.approvals.approve(outcome.approvalId, systemCaller('reviewer'));
      return { result: settledResult(decided)?.result };
    },
    async close() {
      await gateway.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
