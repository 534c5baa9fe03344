// Writes one benchmark's section into BENCHMARKS.md (between its markers) and its raw numbers to JSON.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/** `Measured <date> on Node <v>, <n> CPUs (<model>)`: the header line every section starts with. */
export function machineLine(): string {
  return `Measured ${new Date().toISOString().slice(0, 10)} on Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}).`;
}

export async function writeBenchmarkSection(name: string, markdown: string, raw: unknown, rawPath: string): Promise<void> {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const section = `${start}\n${markdown.trim()}\n${end}`;
  const file = join(root, 'BENCHMARKS.md');
  const existing = await readFile(file, 'utf8').catch(() => '# Benchmarks\n');
  const pattern = new RegExp(`${start}[\\s\\S]*${end}`);
  await writeFile(file, existing.includes(start) ? existing.replace(pattern, section) : `${existing.trimEnd()}\n\n${section}\n`);
  const rawFile = resolve(root, rawPath);
  await mkdir(dirname(rawFile), { recursive: true });
  await writeFile(rawFile, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, ...(raw as object) }, null, 2)}\n`);
  console.log(`wrote ${file} (${name}) and ${rawPath}`);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
