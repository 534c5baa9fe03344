import type { Caller, PolicyTool } from '@agent-gateway/core';
import { argsTypeOf, type CedarType } from './cedar-schema.js';
import { cedarValueOf, type CedarValue } from './cedar-values.js';

/** An entity in Cedar's JSON form. */
export interface CedarEntity {
  readonly uid: { readonly type: string; readonly id: string };
  readonly attrs: Record<string, CedarValue>;
  readonly parents: { readonly type: string; readonly id: string }[];
}

const toolEntities = new WeakMap<PolicyTool, CedarEntity>();
const argsTypes = new WeakMap<PolicyTool, CedarType>();

/** The tool as the resource entity (made once per tool). */
export function toolEntityOf(tool: PolicyTool): CedarEntity {
  let entity = toolEntities.get(tool);
  if (entity === undefined) {
    entity = {
      uid: { type: 'Tool', id: tool.name },
      attrs: {
        name: tool.name,
        upstream: tool.upstream ?? '',
        tags: [...tool.tags],
        annotations: { readOnly: tool.hints?.readOnly ?? false, idempotent: tool.hints?.idempotent ?? false, openWorld: tool.hints?.openWorld ?? false },
      },
      parents: tool.upstream === undefined ? [] : [{ type: 'Upstream', id: tool.upstream }],
    };
    toolEntities.set(tool, entity);
  }
  return entity;
}

/** The caller as the principal entity, in its role and groups. */
export function userEntityOf(caller: Caller, groups: readonly string[]): CedarEntity {
  const parents = groups.map((group) => ({ type: 'Group', id: group }));
  if (caller.role !== undefined) parents.push({ type: 'Role', id: caller.role });
  return {
    uid: { type: 'User', id: caller.id },
    attrs: { kind: caller.kind, role: caller.role ?? '', groups: [...groups], ...(caller.issuer === undefined ? {} : { issuer: caller.issuer }) },
    parents,
  };
}

/** The validated args as `context.args`: only what the tool's schema gives a Cedar type. */
export function argsValueOf(tool: PolicyTool, args: unknown): CedarValue {
  const type = argsTypes.get(tool) ?? argsTypeOf(tool);
  argsTypes.set(tool, type);
  return cedarValueOf(args, type) ?? {};
}

const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** `context.time` of an instant: in UTC, or in `timeZone` through a formatter made once. */
export function timeReader(timeZone: string | undefined): (time: Date) => Record<string, CedarValue> {
  const epochOf = (time: Date): number => Math.floor(time.getTime() / 1000);
  if (timeZone === undefined || timeZone === 'UTC') {
    return (time) => ({
      epoch: epochOf(time),
      date: time.toISOString().slice(0, 10),
      hour: time.getUTCHours(),
      minute: time.getUTCMinutes(),
      weekday: time.getUTCDay(),
    });
  }
  // Throws a RangeError for a zone the runtime does not know: at construction, not on a call.
  const format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  return (time) => {
    const parts: Record<string, string> = {};
    for (const part of format.formatToParts(time)) parts[part.type] = part.value;
    return {
      epoch: epochOf(time),
      date: `${parts.year}-${parts.month}-${parts.day}`,
      hour: Number(parts.hour),
      minute: Number(parts.minute),
      weekday: WEEKDAYS[parts.weekday ?? ''] ?? 0,
    };
  };
}
