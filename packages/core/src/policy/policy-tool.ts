import type { RegisteredTool } from '../tools/tool-registry.js';
import type { PolicyTool } from './policy-engine.js';

const policyTools = new WeakMap<RegisteredTool, PolicyTool>();

/** The tool as a policy sees it, made once per registered tool (a re-registered tool is a new one). */
export function policyToolOf(tool: RegisteredTool): PolicyTool {
  let described = policyTools.get(tool);
  if (described === undefined) {
    const { hints } = tool.listing;
    described = Object.freeze({
      name: tool.name,
      ...(tool.upstream === undefined ? {} : { upstream: tool.upstream }),
      tags: tool.tags ?? [],
      ...(hints === undefined ? {} : { hints }),
      argsSchema: tool.listing.args_schema,
    });
    policyTools.set(tool, described);
  }
  return described;
}
