import type { Logger } from '../logging/logger.js';
import type { ToolProgress } from '../tools/tool-definition.js';

/** A run's `context.reportProgress`, and `end()` to silence it once the run has settled. */
export interface ProgressReporter {
  report(progress: ToolProgress): void;
  end(): void;
}

const SILENT: ProgressReporter = { report: () => undefined, end: () => undefined };

/**
 * Carries a tool's progress reports to the caller's listener. A tool's report is checked (a
 * listener downstream, an MCP notification, must not get `NaN` or a stray field) and its message
 * scrubbed of the secrets the tool was handed; the listener is the caller's code, so its throw or
 * rejection is logged and swallowed: progress is a courtesy and never fails the call.
 */
export function progressReporter(
  listener: ((progress: ToolProgress) => void) | undefined,
  scrub: (text: string) => string,
  logger: Logger,
  where: { readonly tool: string; readonly callId: string },
): ProgressReporter {
  if (listener === undefined) return SILENT;
  let ended = false;
  const failed = (error: unknown) => logger.warn('a progress listener failed', { ...where, error: error instanceof Error ? error.message : String(error) });
  return {
    report(progress) {
      // Reports from a run that has settled (a timer the tool left behind) reach nobody.
      if (ended) return;
      // A tool in plain JavaScript may pass anything.
      if (typeof progress !== 'object' || progress === null) return;
      const { progress: done, total, message } = progress;
      if (typeof done !== 'number' || !Number.isFinite(done)) return;
      const checked: ToolProgress = {
        progress: done,
        ...(typeof total === 'number' && Number.isFinite(total) ? { total } : {}),
        ...(typeof message === 'string' ? { message: scrub(message) } : {}),
      };
      try {
        // Typed as returning nothing, but an async listener may be passed: its rejection is caught too.
        const returned: unknown = listener(checked);
        if (returned instanceof Promise) returned.catch(failed);
      } catch (error) {
        failed(error);
      }
    },
    end() {
      ended = true;
    },
  };
}
