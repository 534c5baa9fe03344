import { describe, expect, it } from 'vitest';
import { isToolAllowed, toolPatternSchema } from '../../src/auth/tool-allow-list.js';

describe('tool allow-lists', () => {
  it.each([
    [undefined, 'file.write', true],
    [[], 'file.write', false],
    [['file.write'], 'file.write', true],
    [['file.write'], 'file.writes', false],
    [['file.*'], 'file.write', true],
    [['file.*'], 'file.a.b', true],
    [['file.*'], 'filex.write', false],
    [['file.*'], 'file', false],
    [['*'], 'anything.at.all', true],
    [['*.read'], 'db.read', true],
    [['*.read'], 'db.read.all', false],
    [['echo', 'math.*'], 'math.add', true],
    [['a-b'], 'a-b', true],
    [['a-b'], 'aab', false],
  ] as const)('%j allows %s: %s', (list, tool, allowed) => {
    expect(isToolAllowed(list, tool)).toBe(allowed);
  });

  it('accepts names and globs only', () => {
    expect(toolPatternSchema.safeParse('file.*').success).toBe(true);
    expect(toolPatternSchema.safeParse('file/*').success).toBe(false);
    expect(toolPatternSchema.safeParse('(a|b)').success).toBe(false);
  });
});
