import { GatewayError } from '../errors/index.js';

/**
 * 422: the task is well formed but cannot be scheduled: an interval out of range, a cron that never
 * comes due, a `runAs` user who does not exist or may not call the tool, or args holding a secret.
 */
export class InvalidTaskError extends GatewayError {
  override readonly name = 'InvalidTaskError';
  constructor(message: string, path: string) {
    super('invalid_task', message, { issues: [{ path, message }] });
  }
}
