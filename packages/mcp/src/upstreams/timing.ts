/** Rejects with the signal's reason once it aborts; `stop` detaches the listener. */
function abortOf(signal: AbortSignal | undefined): { readonly aborted: Promise<never>; stop(): void } {
  if (signal === undefined) return { aborted: new Promise<never>(() => undefined), stop: () => undefined };
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    // Checked here, not only listened for: a signal that aborted before the wait began never fires again.
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { aborted, stop: () => onAbort !== undefined && signal.removeEventListener('abort', onAbort) };
}

/**
 * Whether `promise` settles before `deadline` (it is not cancelled if not). Rejects with the
 * signal's reason as soon as `signal` aborts: a caller that left does not wait out a slow start.
 */
export async function settlesBefore(promise: Promise<unknown>, deadline: number, signal?: AbortSignal): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  const abort = abortOf(signal);
  try {
    return await Promise.race([promise.then(() => true, () => true), late, abort.aborted]);
  } finally {
    clearTimeout(timer);
    abort.stop();
  }
}

/** Resolves at `at`, or rejects with the signal's reason as soon as `signal` aborts. */
export async function delayUntil(at: number, signal?: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const due = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, at - Date.now())).unref();
  });
  const abort = abortOf(signal);
  try {
    await Promise.race([due, abort.aborted]);
  } finally {
    clearTimeout(timer);
    abort.stop();
  }
}

/** `promise`, or a rejection with `message` after `ms`, or with the signal's reason once `signal` aborts. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  const abort = abortOf(signal);
  try {
    return await Promise.race([promise, timeout, abort.aborted]);
  } finally {
    clearTimeout(timer);
    abort.stop();
  }
}
