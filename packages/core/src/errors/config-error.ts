import { GatewayError, type ErrorIssue } from './gateway-error.js';

/**
 * The configuration cannot be used. Thrown at start; its message names every bad variable
 * (never its value when the variable is a secret).
 */
export class ConfigError extends GatewayError {
  override readonly name = 'ConfigError';
  constructor(issues: readonly ErrorIssue[]) {
    const lines = issues.map((issue) => `  - ${issue.path}: ${issue.message}`);
    super('invalid_config', `invalid configuration:\n${lines.join('\n')}`, { issues });
  }
}
