import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * A fenced code block of a Markdown page, as the docs test sees it. The info string is the language,
 * then at most one marker:
 * - ```ts            typechecked as an ES module of its own (top-level await allowed)
 * - ```ts runnable   typechecked, then run with tsx: it must finish by itself with exit status 0
 * - ```ts partial: why   not compiled (a fragment on purpose); the reason is required and printed
 */
export interface CodeBlock {
  /** The page, relative to the repository root (`docs/auth.md`). */
  readonly file: string;
  /** The line of the opening fence, 1-based. */
  readonly line: number;
  /** The language word of the info string, lower case (`ts`, `bash`, ...). */
  readonly lang: string;
  readonly marker: 'checked' | 'runnable' | 'partial';
  /** Why a partial block is not compiled; empty when the page gives none. */
  readonly reason: string;
  /** A marker the test does not know (a typo such as `runable`): reported as a failure. */
  readonly unknownMarker: string | undefined;
  readonly code: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`]*)$/;

/** Every fenced block of one page; blocks inside list items (indented fences) included. */
export function codeBlocksOf(file: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const open = FENCE.exec(lines[index] ?? '');
    if (!open) continue;
    const [, indent = '', fence = '', info = ''] = open;
    const body: string[] = [];
    let end = index + 1;
    for (; end < lines.length; end += 1) {
      const line = lines[end] ?? '';
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    blocks.push({ file, line: index + 1, ...parseInfo(info.trim()), code: body.join('\n') });
    index = end;
  }
  return blocks;
}

function parseInfo(info: string): Pick<CodeBlock, 'lang' | 'marker' | 'reason' | 'unknownMarker'> {
  const [lang = '', ...rest] = info.split(/\s+/);
  const tail = rest.join(' ');
  if (tail === '') return { lang: lang.toLowerCase(), marker: 'checked', reason: '', unknownMarker: undefined };
  if (tail === 'runnable') return { lang: lang.toLowerCase(), marker: 'runnable', reason: '', unknownMarker: undefined };
  const partial = /^partial\b:?\s*(.*)$/.exec(tail);
  if (partial) return { lang: lang.toLowerCase(), marker: 'partial', reason: partial[1] ?? '', unknownMarker: undefined };
  return { lang: lang.toLowerCase(), marker: 'checked', reason: '', unknownMarker: tail };
}

/** TypeScript and JavaScript blocks: the ones the test compiles. */
export const isCodeBlock = (block: CodeBlock): boolean => ['ts', 'typescript', 'js', 'javascript', 'mjs'].includes(block.lang);
export const isJavaScript = (block: CodeBlock): boolean => ['js', 'javascript', 'mjs'].includes(block.lang);

/** The pages whose snippets must compile: the root README, docs/*.md and every package's README. */
export function documentationPages(root: string): string[] {
  const markdownIn = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
      .map((entry) => join(dir, entry.name));
  const packageReadmes = readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join('packages', entry.name, 'README.md'))
    .filter((path) => readdirSync(join(root, path, '..')).includes('README.md'));
  return ['README.md', ...markdownIn('docs'), ...packageReadmes].map((path) => relative(root, join(root, path)));
}

/** The code blocks of every documentation page. */
export function documentationBlocks(root: string): CodeBlock[] {
  return documentationPages(root).flatMap((page) => codeBlocksOf(page, readFileSync(join(root, page), 'utf8')));
}
