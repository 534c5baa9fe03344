import type { z } from 'zod3';
import { zodToJsonSchema } from 'zod-to-json-schema';
import type { JsonSchema } from '../../../src/index.js';

type ConverterInput = Parameters<typeof zodToJsonSchema>[0];

/**
 * `zodToJsonSchema(schema)`, as a zod-3 host calls it. In a host, zod-to-json-schema's types name
 * the host's own zod; in this repo they name the `zod/v3` inside zod 4, while the tests' zod 3 is the
 * `zod3` alias, so the schema is handed over as the converter's type without TypeScript comparing
 * the two copies of zod 3 (slow, and not what a host compiles). At run time it reads only `_def`.
 */
export function zod3JsonSchema(schema: z.ZodTypeAny): JsonSchema {
  const input: unknown = schema;
  return zodToJsonSchema(input as ConverterInput);
}
