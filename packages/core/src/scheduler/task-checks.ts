import { REDACTED, scrubSecrets } from '../audit/secret-scrubber.js';
import { formatIssuePath, GatewayError, ToolNotAllowedError } from '../errors/index.js';
import type { GatewayServices } from '../services.js';
import type { Caller } from '../pipeline/caller.js';
import { authorizeTool } from '../pipeline/authorize-tool.js';
import { findTool } from '../pipeline/find-tool.js';
import { validateArgs } from '../pipeline/validate-args.js';
import type { TaskDefinition } from './schedule.js';
import { InvalidTaskError } from './task-errors.js';

/**
 * Where `args` hold something the audit scrubber would hide (a password, a token, a JWT), or the
 * scrubber's own placeholder (a secret removed earlier, which the tool would receive instead).
 */
export function secretPathsIn(args: unknown): string[] {
  const paths: string[] = [];
  const walk = (original: unknown, scrubbed: unknown, path: PropertyKey[]): void => {
    const changed = typeof original === 'string' ? original !== scrubbed || original.includes(REDACTED) : !Object.is(original, scrubbed);
    if (original === null || typeof original !== 'object' || scrubbed === null || typeof scrubbed !== 'object') {
      if (changed) paths.push(formatIssuePath(path));
      return;
    }
    const into = scrubbed as Record<string, unknown>;
    for (const [key, child] of Object.entries(original)) {
      // A key can be a secret too: it is named as the scrubber shows it, never as written.
      const shownKey = String(scrubSecrets(key));
      if (shownKey !== key) paths.push(formatIssuePath([...path, shownKey]));
      else walk(child, into[key], [...path, Array.isArray(original) ? Number(key) : key]);
    }
  };
  walk(args, scrubSecrets(args), ['args']);
  return paths;
}

/**
 * A stored task as this process holds it: one whose args hold a secret (written by an older version,
 * or by hand) is scrubbed, disabled and given its `problem`, so it is never run with the secret.
 */
export function asStored(task: TaskDefinition): { definition: TaskDefinition; problem?: string } {
  const secrets = secretPathsIn(task.args);
  if (secrets.length === 0) return { definition: task };
  return {
    definition: { ...task, args: scrubSecrets(task.args), enabled: false },
    problem: `${secrets.join(', ')} held a secret, which was removed from the stored task; replace the task without secrets`,
  };
}

/** The stored tasks with every secret scrubbed (and its task disabled), for writing back. */
export function withoutSecrets(tasks: readonly TaskDefinition[]): TaskDefinition[] {
  return tasks.map((task) => asStored(task).definition);
}

/** 422 unless `args` are free of secrets: a schedule is kept in a plain file and shown to admins. */
export function assertNoSecrets(args: unknown): void {
  const paths = secretPathsIn(args);
  if (paths.length === 0) return;
  throw new InvalidTaskError(
    `${paths.join(', ')}: a scheduled task may not carry secrets, because its args are stored in schedule.json and shown by GET /admin/schedule; ` +
      'give the tool its credential through a provider secret (the SecretStore) instead',
    paths[0] ?? 'args',
  );
}

async function runAsCaller(services: GatewayServices, runAs: string): Promise<Caller> {
  try {
    return await services.auth.callerFor(runAs);
  } catch (error) {
    // The user store's "no such user" is a 401 for a token; here it is a bad field of the task.
    if (error instanceof GatewayError && error.status === 401) throw new InvalidTaskError(`runAs: no user named ${JSON.stringify(runAs)}`, 'runAs');
    throw error;
  }
}

/**
 * Refuses, at creation, a task the pipeline would refuse on every run: secrets in its args (422),
 * an unknown tool (404, as for a call), a `runAs` user who does not exist or may not call the tool
 * (422), args the tool's schema rejects (422 `invalid_args`, the pipeline's own check).
 */
export async function assertRunnable(services: GatewayServices, task: TaskDefinition): Promise<void> {
  assertNoSecrets(task.args);
  const tool = findTool(services.tools, task.tool);
  const caller = await runAsCaller(services, task.runAs);
  try {
    authorizeTool(caller, tool);
  } catch (error) {
    if (error instanceof ToolNotAllowedError) throw new InvalidTaskError(`runAs: user ${JSON.stringify(task.runAs)} is ${error.message}`, 'runAs');
    throw error;
  }
  await validateArgs(tool, task.args ?? {});
}
