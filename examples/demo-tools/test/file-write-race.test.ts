import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '@agent-gateway/core';
import { scratchGateway, type ScratchGateway } from './scratch-gateway.js';

/**
 * Swaps `scratch/d` between a real folder and a symlink to `outside`, as fast as it can, on its own
 * thread (so it really runs while the writes' fs calls do). The real folder is only ever renamed within
 * the scratch directory. Each step may fail when a write re-created `d` meanwhile; the loop carries on.
 */
const SWAPPER = `
const { parentPort, workerData } = require('node:worker_threads');
const { renameSync, symlinkSync, unlinkSync } = require('node:fs');
const { stop, scratch, outside } = workerData;
const flag = new Int32Array(stop);
const d = scratch + '/d';
let swaps = 0;
const attempt = (step) => { try { step(); return true; } catch { return false; } };
while (Atomics.load(flag, 0) === 0) {
  const aside = scratch + '/aside-' + swaps;
  attempt(() => renameSync(d, aside));
  if (attempt(() => symlinkSync(outside, d))) swaps++;
  attempt(() => unlinkSync(d));
  attempt(() => renameSync(aside, d));
}
parentPort.postMessage(swaps);
`;

const WRITES = 1_600;
const CONCURRENCY = 16;
/** Codes a refused write may carry: each is a clear 4xx, never a tool failure. */
const REFUSALS = new Set(['path_has_symlink', 'path_not_directory', 'path_changed', 'path_outside_scratch', 'path_is_directory']);

describe('file.write under a folder/symlink swap race', () => {
  let s: ScratchGateway;
  let outside: string;
  beforeEach(async () => {
    s = await scratchGateway();
    outside = join(s.workDir, 'outside');
    await mkdir(outside);
    await mkdir(join(s.scratch, 'd'));
  });
  afterEach(() => s.close());

  it(`lets nothing appear outside during ${WRITES} writes (each written inside or refused)`, async () => {
    const stop = new SharedArrayBuffer(4);
    const worker = new Worker(SWAPPER, { eval: true, workerData: { stop, scratch: s.scratch, outside } });
    const swapped = new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const outcomes = { written: 0, refused: 0 };
    const unexpected: unknown[] = [];
    let next = 0;
    const writer = async () => {
      while (next < WRITES) {
        const i = next++;
        // Alternate between writing straight into d and creating folders under it (the mkdir path).
        const path = i % 2 === 0 ? `d/f${i}.txt` : `d/sub${i % 8}/deeper/f${i}.txt`;
        try {
          await s.write(path, `write ${i}`);
          outcomes.written++;
        } catch (error) {
          if (error instanceof GatewayError && error.status < 500 && REFUSALS.has(error.code)) outcomes.refused++;
          else unexpected.push(error);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, writer));
    } finally {
      Atomics.store(new Int32Array(stop), 0, 1);
    }
    const swaps = await swapped;
    console.info(`file.write race: ${outcomes.written} written, ${outcomes.refused} refused, ${swaps} swaps`);
    expect(unexpected).toEqual([]);
    expect(outcomes.written + outcomes.refused).toBe(WRITES);
    expect(swaps).toBeGreaterThan(0);
    expect(await readdir(outside)).toEqual([]);
    expect((await readdir(s.workDir)).sort()).toEqual(['outside', 'scratch']);
  });
});
