import type { Gateway } from '@agent-gateway/core';
import { echoTool } from './echo.js';
import { fileWriteTool } from './file-write.js';

export { echoTool, fileWriteTool };

/** Registers the demo tools every example server offers. */
export function registerDemoTools(gateway: Gateway, options: { scratchDir: string }): void {
  gateway.registerTool(echoTool).registerTool(fileWriteTool(options.scratchDir));
}
