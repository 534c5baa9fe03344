import { ToolNotFoundError } from '../errors/index.js';
import type { RegisteredTool, ToolRegistry } from '../tools/tool-registry.js';

/** Step: the named tool, or 404. */
export function findTool(registry: ToolRegistry, name: string): RegisteredTool {
  const tool = registry.get(name);
  if (tool === undefined) throw new ToolNotFoundError(name);
  return tool;
}
