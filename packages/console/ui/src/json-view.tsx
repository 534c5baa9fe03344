import { Fragment, type JSX } from 'preact';

/** What the gateway puts where a redaction rule or the secret scrubber removed a value. */
export const REDACTED = '[REDACTED]';

function RedactedMark(): JSX.Element {
  return (
    <span class="json-redacted" title="Removed by a redaction rule or the secret scrubber before the console saw it">
      redacted
    </span>
  );
}

function Scalar({ value }: { value: unknown }): JSX.Element {
  if (value === REDACTED) return <RedactedMark />;
  if (typeof value === 'string' && value.includes(REDACTED)) {
    // The secret scrubber replaces a secret inside a longer text (`api_key=[REDACTED]`): mark each place.
    const parts = JSON.stringify(value).split(REDACTED);
    return (
      <span class="json-string">
        {parts.map((part, i) => (
          <Fragment key={i}>
            {part}
            {i < parts.length - 1 ? <RedactedMark /> : null}
          </Fragment>
        ))}
      </span>
    );
  }
  if (typeof value === 'string') return <span class="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === 'number' || typeof value === 'boolean') return <span class="json-literal">{String(value)}</span>;
  return <span class="json-literal">null</span>;
}

function countRedacted(value: unknown): number {
  if (typeof value === 'string') return value.split(REDACTED).length - 1;
  if (Array.isArray(value)) return value.reduce<number>((n, item) => n + countRedacted(item), 0);
  if (typeof value === 'object' && value !== null) return Object.values(value).reduce<number>((n, item) => n + countRedacted(item), 0);
  return 0;
}

function Node({ name, value, depth }: { name: string; value: unknown; depth: number }): JSX.Element {
  if (typeof value !== 'object' || value === null) {
    return (
      <li>
        <span class="json-key">{name}</span>: <Scalar value={value} />
      </li>
    );
  }
  const entries = Array.isArray(value) ? value.map((item, i) => [String(i), item] as const) : Object.entries(value);
  const shape = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  return (
    <li>
      <details open={depth < 2}>
        <summary>
          <span class="json-key">{name}</span> <span class="json-shape">{shape}</span>
        </summary>
        <ul class="json-tree">
          {entries.map(([key, child]) => (
            <Node key={key} name={key} value={child} depth={depth + 1} />
          ))}
        </ul>
      </details>
    </li>
  );
}

/** A held call's arguments, whole (never truncated), as a tree whose branches fold; redacted values are marked. */
export function JsonView({ value, label, open = true }: { value: unknown; label: string; open?: boolean }): JSX.Element {
  const redacted = countRedacted(value);
  const entries = typeof value === 'object' && value !== null ? Object.entries(value) : [];
  return (
    <details class="json-view" open={open}>
      <summary>
        {label}
        {redacted > 0 ? <span class="json-redacted-count"> ({redacted} redacted)</span> : null}
      </summary>
      {typeof value === 'object' && value !== null ? (
        <ul class="json-tree" aria-label={label}>
          {entries.map(([key, child]) => (
            <Node key={key} name={key} value={child} depth={1} />
          ))}
        </ul>
      ) : (
        <p>
          <Scalar value={value} />
        </p>
      )}
    </details>
  );
}
