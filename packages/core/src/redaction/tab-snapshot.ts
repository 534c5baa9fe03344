/** The current tab as the user shared it with agents, already redacted. */
export interface TabSnapshot {
  readonly origin: string;
  readonly url?: string;
  readonly title: string;
  readonly content: unknown;
  readonly shared_at: string;
  readonly shared_by: string;
}
