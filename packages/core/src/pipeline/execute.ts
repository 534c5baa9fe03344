import { GatewayError, ToolFailedError } from '../errors/index.js';
import type { Logger } from '../logging/logger.js';
import type { ToolContext } from '../tools/tool-definition.js';
import type { RegisteredTool } from '../tools/tool-registry.js';

/**
 * Step: run the tool in-process. A GatewayError (a ToolError) passes through with its message;
 * anything else is logged with its stack and reported as `tool_failed` with no detail.
 */
export async function execute(tool: RegisteredTool, args: unknown, context: ToolContext, logger: Logger): Promise<unknown> {
  try {
    return await tool.run(args, context);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    logger.error('tool threw', { tool: tool.name, callId: context.callId, error });
    throw new ToolFailedError(tool.name, error);
  }
}
