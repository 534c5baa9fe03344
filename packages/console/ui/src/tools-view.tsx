import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Session } from './api.js';
import { JsonView } from './json-view.js';
import type { ToolInfo } from './types.js';

/** The registered tools (read-only: tools are registered in code, not over HTTP). */
export function ToolsView({ session }: { session: Session }): JSX.Element {
  const [tools, setTools] = useState<ToolInfo[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    session
      .json<{ tools: ToolInfo[] }>('/tools')
      .then((answer) => setTools(answer.tools))
      .catch((caught: unknown) => setError(caught instanceof ApiError ? caught.message : 'the gateway could not be reached'));
  }, [session]);
  return (
    <section aria-labelledby="tools-heading">
      <h2 id="tools-heading">Tools</h2>
      <p class="muted">Tools are registered by the gateway's code; this list is read-only.</p>
      {error === undefined ? null : (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {tools === undefined && error === undefined ? <p role="status">Loading…</p> : null}
      <ul class="tool-list">
        {(tools ?? []).map((tool) => (
          <li key={tool.name} class="card">
            <h3>
              {tool.name} {tool.requires_approval === true ? <span class="badge badge-pending">needs approval</span> : null}
            </h3>
            {tool.description === undefined ? null : <p>{tool.description}</p>}
            {tool.args_schema === undefined ? null : <JsonView value={tool.args_schema} label={`Arguments schema of ${tool.name}`} open={false} />}
          </li>
        ))}
      </ul>
    </section>
  );
}
