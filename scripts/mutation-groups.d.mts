// Types of mutation-groups.mjs, for vitest.mutation.config.ts.
export interface MutationGroup {
  readonly mutate: string[];
  readonly testFiles: string[];
}
export declare const GROUPS: Record<string, MutationGroup>;
export declare function selectedGroup(): MutationGroup & { readonly name: string };
