import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentationBlocks, documentationPages, isCodeBlock } from './code-blocks.js';
import { typecheckBlocks, writeBlockFiles, type BlockFile } from './typecheck-blocks.js';

const root = resolve(__dirname, '../..');
const blocks = documentationBlocks(root);
const snippets = blocks.filter(isCodeBlock);
const compiled = snippets.filter((block) => block.marker !== 'partial');
const runnable = snippets.filter((block) => block.marker === 'runnable');
const at = (block: { file: string; line: number }): string => `${block.file}:${block.line}`;

let scratch = '';
let files: BlockFile[] = [];

beforeAll(() => {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  scratch = mkdtempSync(join(root, '.tmp', 'doc-snippets-'));
  files = writeBlockFiles(scratch, compiled);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the code blocks of README.md, docs/*.md and the packages\' READMEs', () => {
  it('are found on every page, most of them compiled', () => {
    expect(documentationPages(root)).toEqual(expect.arrayContaining(['README.md', 'docs/README.md', 'packages/core/README.md']));
    expect(snippets.length).toBeGreaterThan(30);
    expect(compiled.length, 'partial blocks stay the exception').toBeGreaterThan(snippets.length * 0.8);
  });

  it('carry only known markers (runnable, partial: why), and a partial block says why', () => {
    expect(snippets.filter((block) => block.unknownMarker !== undefined).map((block) => `${at(block)}: unknown marker "${block.unknownMarker}"`)).toEqual([]);
    const partial = snippets.filter((block) => block.marker === 'partial');
    expect(partial.filter((block) => block.reason.trim() === '').map((block) => `${at(block)}: \`\`\`ts partial needs a reason`)).toEqual([]);
    for (const block of partial) console.info(`not compiled, partial on purpose: ${at(block)}: ${block.reason}`);
  });

  it('typecheck as ES modules importing the packages by their public names (one program for all)', () => {
    const problems = typecheckBlocks(root, files);
    expect(problems.map((problem) => `${problem.where} (block at ${at(problem.block)}): ${problem.message}`)).toEqual([]);
  }, 180_000);

  it('parse, when they are JSON', () => {
    const broken = blocks.filter((block) => block.lang === 'json').flatMap((block) => {
      try {
        JSON.parse(block.code);
        return [];
      } catch (error) {
        return [`${at(block)}: ${(error as Error).message}`];
      }
    });
    expect(broken).toEqual([]);
  });
});

describe.runIf(runnable.length > 0)('the runnable code blocks', () => {
  const run = promisify(execFile);
  const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');

  for (const block of runnable) {
    it(`${at(block)} runs to completion with exit status 0 (no open handle left behind)`, async () => {
      const file = files.find((candidate) => candidate.block === block);
      expect(file).toBeDefined();
      // Its own working folder: what the snippet writes (an audit log, a users file) lands there.
      const cwd = mkdtempSync(join(scratch, 'run-'));
      const env = { PATH: process.env.PATH ?? '', HOME: cwd, NODE_ENV: 'test' };
      try {
        await run(process.execPath, [tsx, '--tsconfig', join(root, 'tsconfig.json'), file?.path ?? ''], { cwd, env, timeout: 60_000 });
      } catch (error) {
        const failure = error as { code?: number; signal?: string; stdout?: string; stderr?: string };
        expect.fail(`${at(block)} failed (exit ${failure.code ?? failure.signal}):\n${failure.stderr ?? ''}${failure.stdout ?? ''}`);
      }
    }, 90_000);
  }
});
