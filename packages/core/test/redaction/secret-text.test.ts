import { describe, expect, it } from 'vitest';
import { scrubSecretText } from '../../src/redaction/secret-text.js';

// The edges of each secret pattern in free text (issue 24: the survivors of secret-text.ts): the
// whitespace an auth scheme may be followed by, where a URL may start, every secret in a text and not
// only the first, escaped quotes inside a quoted value, values that are not secrets (empty, null,
// booleans), and the shortest text that can hold one.

const R = '[REDACTED]';
const npmToken = `npm_${'A1b2C3d4E5'.repeat(3)}abcdef`;
const awsKeyId = 'AKIAIOSFODNN7EXAMPLE';

describe('auth schemes followed by more than one space or a tab', () => {
  it('Bearer', () => {
    expect(scrubSecretText('sent Bearer  abc.def-ghi to the API')).toBe(`sent Bearer  ${R} to the API`);
    expect(scrubSecretText('sent Bearer\t\tabc.def-ghi')).toBe(`sent Bearer\t\t${R}`);
  });

  it('Basic, only when it decodes to user:password', () => {
    const credential = Buffer.from('admin:hunter2').toString('base64');
    expect(scrubSecretText(`sent Basic  ${credential} along`)).toBe(`sent Basic  ${R} along`);
    expect(scrubSecretText(`sent Basic ${credential}, then more`)).toBe(`sent Basic ${R}, then more`);
    expect(scrubSecretText('the Basic  plan costs less')).toBe('the Basic  plan costs less');
  });

  it('a scheme in front of an assignment value stays, the value goes', () => {
    expect(scrubSecretText('Authorization:  Bearer   abc.def')).toBe(`Authorization:  Bearer   ${R}`);
    expect(scrubSecretText('authorization=Token  0123456789abcdef')).toBe(`authorization=Token  ${R}`);
  });
});

describe('URL passwords', () => {
  it('at the start of the text, after a space, after punctuation', () => {
    expect(scrubSecretText('postgres://app:s3cret@db:5432/x')).toBe(`postgres://app:${R}@db:5432/x`);
    expect(scrubSecretText('connect to postgres://app:s3cret@db/x now')).toBe(`connect to postgres://app:${R}@db/x now`);
    expect(scrubSecretText('(see redis://u:pw123@cache)')).toBe(`(see redis://u:${R}@cache)`);
  });

  it('not when the scheme is the tail of a longer word', () => {
    // The lookbehind makes a scheme start a word; the password is still caught from the longer scheme.
    expect(scrubSecretText('xhttps://u:pw@h')).toBe(`xhttps://u:${R}@h`);
  });
});

describe('every secret in the text, not only the first', () => {
  it('two provider keys, two JWTs, two URL passwords', () => {
    expect(scrubSecretText(`keys ${npmToken} and ${awsKeyId} here`)).toBe(`keys ${R} and ${R} here`);
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';
    expect(scrubSecretText(`${jwt} then ${jwt}`)).toBe(`${R} then ${R}`);
    expect(scrubSecretText('a://u:p1@h b://v:p2@i')).toBe(`a://u:${R}@h b://v:${R}@i`);
  });

  it('two Bearer tokens and two secret assignments', () => {
    expect(scrubSecretText('Bearer aaa, Bearer bbb')).toBe(`Bearer ${R}, Bearer ${R}`);
    expect(scrubSecretText('password=one&token=two')).toBe(`password=${R}&token=${R}`);
  });
});

describe('quoted values', () => {
  it('an escaped quote inside the value is part of it: nothing after it leaks', () => {
    expect(scrubSecretText('{"password": "ab\\"cd", "user": "u"}')).toBe(`{"password": "${R}", "user": "u"}`);
    expect(scrubSecretText("password='it\\'s-a-secret' rest")).toBe(`password='${R}' rest`);
  });

  it('an empty quoted value has nothing to hide and stays as it was', () => {
    expect(scrubSecretText('{"password": "", "user": "u"}')).toBe('{"password": "", "user": "u"}');
    expect(scrubSecretText("token='' next")).toBe("token='' next");
  });

  it('a quote left open at the end: its value is hidden to the end; a lone quote stays', () => {
    expect(scrubSecretText('"password": "abc')).toBe(`"password": "${R}`);
    expect(scrubSecretText('"password": "')).toBe('"password": "');
  });
});

describe('values that are not secrets', () => {
  it.each(['null', 'true', 'false', 'undefined', 'NULL', 'True'])('password=%s stays', (value) => {
    expect(scrubSecretText(`password=${value}`)).toBe(`password=${value}`);
  });

  it('an empty value stays, and the next assignment is still looked at', () => {
    expect(scrubSecretText('password=&token=abc')).toBe(`password=&token=${R}`);
    expect(scrubSecretText('password= ; user=x')).toBe('password= ; user=x');
  });
});

describe('short texts', () => {
  it('the shortest text that can hold a secret (five characters) is scrubbed', () => {
    expect(scrubSecretText('pwd=x')).toBe(`pwd=${R}`);
    expect(scrubSecretText('pwd:y')).toBe(`pwd:${R}`);
  });

  it('text without any secret comes back unchanged', () => {
    for (const text of ['', 'a=b', 'user=alice&page=2', 'a plain sentence: nothing here']) expect(scrubSecretText(text)).toBe(text);
  });
});
