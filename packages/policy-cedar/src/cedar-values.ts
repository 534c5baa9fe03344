import type { CedarType } from './cedar-schema.js';

/** A value in Cedar's JSON form. */
export type CedarValue = string | number | boolean | CedarValue[] | { [key: string]: CedarValue };

/** Past this, `toFixed(4)` no longer gives a decimal Cedar accepts. */
const DECIMAL_LIMIT = 9e14;

/**
 * `value` in Cedar's JSON form for `type`, or undefined when it has none (a fraction where an integer
 * belongs, a number past Cedar's range): such an attribute is left out, and a policy that reads it
 * errors, which denies the call (the engine fails closed).
 */
export function cedarValueOf(value: unknown, type: CedarType): CedarValue | undefined {
  switch (type.type) {
    case 'String':
      return typeof value === 'string' ? value : undefined;
    case 'Long':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
    case 'Boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'Extension':
      return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) < DECIMAL_LIMIT ? { __extn: { fn: 'decimal', arg: value.toFixed(4) } } : undefined;
    case 'Set': {
      if (!Array.isArray(value)) return undefined;
      const elements: CedarValue[] = [];
      for (const element of value) {
        const converted = cedarValueOf(element, type.element);
        if (converted === undefined) return undefined;
        elements.push(converted);
      }
      return elements;
    }
    case 'Record': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
      const record: Record<string, CedarValue> = {};
      for (const [name, attribute] of Object.entries(type.attributes)) {
        if (!Object.hasOwn(value, name)) continue;
        const converted = cedarValueOf((value as Record<string, unknown>)[name], attribute);
        if (converted !== undefined) record[name] = converted;
      }
      return record;
    }
    default:
      return undefined;
  }
}
