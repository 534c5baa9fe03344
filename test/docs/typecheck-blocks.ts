import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { isJavaScript, type CodeBlock } from './code-blocks.js';

/** A block written out as a module of its own. */
export interface BlockFile {
  readonly block: CodeBlock;
  readonly path: string;
}

/** One compiler diagnostic, placed on the page's line. */
export interface BlockProblem {
  readonly block: CodeBlock;
  /** `docs/auth.md:42`: the page and the line of the snippet the diagnostic is on. */
  readonly where: string;
  readonly message: string;
}

/**
 * Writes each block to `dir` as its own module. `dir` must be inside the repository, so that the
 * packages the snippets import by their public names (`@agent-gateway/core`, `express`, `zod`)
 * resolve as they do for the repository's own code. `export {}` makes a block without imports a
 * module too, so top-level await means the same in every block: the snippets are ES modules.
 */
export function writeBlockFiles(dir: string, blocks: readonly CodeBlock[]): BlockFile[] {
  return blocks.map((block) => {
    const name = `${block.file.replace(/[^A-Za-z0-9]+/g, '_')}_L${block.line}.${isJavaScript(block) ? 'mjs' : 'ts'}`;
    const path = join(dir, name);
    writeFileSync(path, `${block.code}\nexport {};\n`);
    return { block, path };
  });
}

/**
 * Typechecks every block in one TypeScript program with the repository's compiler options (strict,
 * `noUncheckedIndexedAccess`, `verbatimModuleSyntax`) and its `paths`, which map each package's public
 * name to its sources. Only the blocks' own diagnostics are asked for, so the packages' sources are
 * read for their types but not checked again here (`npm run typecheck` does that).
 */
export function typecheckBlocks(root: string, files: readonly BlockFile[]): BlockProblem[] {
  const configPath = join(root, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, allowJs: true, checkJs: true };
  const program = ts.createProgram({ rootNames: files.map((file) => file.path), options });
  const problems: BlockProblem[] = [];
  for (const { block, path } of files) {
    const source = program.getSourceFile(path);
    if (!source) throw new Error(`${block.file}:${block.line}: the compiler did not load ${path}`);
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const { line } = diagnostic.start === undefined ? { line: 0 } : source.getLineAndCharacterOfPosition(diagnostic.start);
      problems.push({
        block,
        where: `${block.file}:${block.line + 1 + line}`,
        message: `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`,
      });
    }
  }
  return problems;
}
