const compiled = new Map<string, RegExp>();

/** `*` stands for any run of characters; everything else is literal (`read_*`, `*file*`). */
function toRegExp(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&'))
      .join('.*');
    regex = new RegExp(`^${source}$`, 's');
    compiled.set(pattern, regex);
  }
  return regex;
}

export function matchesAny(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => toRegExp(pattern).test(name));
}

/** The value of the first pattern that matches `name`, in the record's order. */
export function firstMatch<T>(patterns: Readonly<Record<string, T>>, name: string): T | undefined {
  for (const [pattern, value] of Object.entries(patterns)) if (toRegExp(pattern).test(name)) return value;
  return undefined;
}
