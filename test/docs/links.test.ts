import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeBlocksOf, documentationPages } from './code-blocks.js';

const root = resolve(__dirname, '../..');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The anchors of a Markdown page's headings (outside code blocks), with GitHub's -1, -2 for repeats. */
function anchorsOf(path: string): Set<string> {
  const text = readFileSync(path, 'utf8');
  const inCode = new Set(codeBlocksOf(path, text).flatMap((block) => Array.from({ length: block.code.split('\n').length + 2 }, (_, i) => block.line + i)));
  const anchors = new Set<string>();
  text.split('\n').forEach((line, index) => {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading || inCode.has(index + 1)) return;
    const base = anchorOf(heading[1] ?? '');
    let anchor = base;
    for (let n = 1; anchors.has(anchor); n += 1) anchor = `${base}-${n}`;
    anchors.add(anchor);
  });
  return anchors;
}

/** Relative links `[text](target)` of a page, outside code blocks and inline code. */
function linksOf(page: string): { line: number; target: string }[] {
  const text = readFileSync(join(root, page), 'utf8');
  const codeLines = new Set(codeBlocksOf(page, text).flatMap((block) => Array.from({ length: block.code.split('\n').length + 2 }, (_, i) => block.line + i)));
  return text.split('\n').flatMap((line, index) => {
    if (codeLines.has(index + 1)) return [];
    const prose = line.replace(/`[^`]*`/g, '');
    return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => match[1] ?? '')
      .filter((target) => !/^[a-z]+:/.test(target))
      .map((target) => ({ line: index + 1, target }));
  });
}

describe('links between the docs', () => {
  it('point at files that exist, and at headings that exist', () => {
    const broken: string[] = [];
    for (const page of documentationPages(root)) {
      for (const { line, target } of linksOf(page)) {
        const [file = '', anchor] = target.split('#');
        const path = file === '' ? join(root, page) : resolve(root, dirname(page), decodeURIComponent(file));
        if (!existsSync(path)) broken.push(`${page}:${line}: ${target} (no such file)`);
        else if (anchor !== undefined && path.endsWith('.md') && !anchorsOf(path).has(anchor)) broken.push(`${page}:${line}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
