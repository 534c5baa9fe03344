import type { Gateway } from '@agent-gateway/core';
import { echoTool } from './echo.js';
import { fileWriteTool } from './file-write.js';
import { sandboxEchoTool } from './sandbox-echo.js';

export { echoTool, fileWriteTool, sandboxEchoTool };

/** Registers the demo tools every example server offers. */
export function registerDemoTools(gateway: Gateway, options: { scratchDir: string }): void {
  gateway.registerTool(echoTool).registerTool(fileWriteTool(options.scratchDir)).registerTool(sandboxEchoTool);
}
