import { describe, expect, it } from 'vitest';
import { normalizeUsername, sameUsername } from '../../src/auth/username.js';

describe('normalizeUsername', () => {
  it('lower-cases, in every script', () => {
    expect(normalizeUsername('Admin')).toBe('admin');
    expect(normalizeUsername('ADMIN')).toBe('admin');
    expect(normalizeUsername('ÉRIN')).toBe('érin');
    expect(normalizeUsername('ΣΩ')).toBe('σω');
  });

  it('folds compatibility forms (full-width, ligatures, the Kelvin sign) to the plain letters', () => {
    expect(normalizeUsername('ａｄｍｉｎ')).toBe('admin');
    expect(normalizeUsername('ＡＤＭＩＮ')).toBe('admin');
    expect(normalizeUsername('ﬁnn')).toBe('finn');
    expect(normalizeUsername('\u212Aate')).toBe('kate');
    // A decomposed accent composes: one spelling of é.
    expect(normalizeUsername('e\u0301rin')).toBe('\u00e9rin');
  });

  it('normalises again after lower-casing: a capital with no precomposed form can have a lower-case one', () => {
    // J + combining caron has no precomposed capital; its lower case j + caron composes to ǰ (U+01F0).
    expect(normalizeUsername('J\u030C')).toBe('\u01F0');
    expect(normalizeUsername('J\u030C')).toBe(normalizeUsername('\u01F0'));
  });

  it('leaves an already normal name as it is', () => {
    expect(normalizeUsername('erin.ops@example-1_x')).toBe('erin.ops@example-1_x');
    expect(normalizeUsername('')).toBe('');
  });
});

describe('sameUsername', () => {
  it('is true for every spelling of one name, false for different names', () => {
    expect(sameUsername('Admin', 'admin')).toBe(true);
    expect(sameUsername('ａｄｍｉｎ', 'ADMIN')).toBe(true);
    expect(sameUsername('J\u030C', '\u01F0')).toBe(true);
    expect(sameUsername('admin', 'admin2')).toBe(false);
    expect(sameUsername('erin', 'erín')).toBe(false);
  });
});
