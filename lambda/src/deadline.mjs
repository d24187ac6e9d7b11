// One deadline per request. The Cognito calls get what is left of the shorter of the function's
// remaining time and FusionAuth's read timeout, less a margin for the answer and its log line.
// When it passes, the calls are aborted and the request ends in a 503 `deadline-exceeded`,
// before Lambda's timeout could kill it without a log line, and while FusionAuth still listens.

/** Kept back from the budget: writing the log line, answering, Lambda's own bookkeeping. */
export const DEADLINE_MARGIN_MS = 250;

/**
 * The milliseconds a request may spend from now: the smaller of
 * `context.getRemainingTimeInMillis()` and `readTimeoutMs`, less DEADLINE_MARGIN_MS, never
 * negative. Infinity when neither is known (a call without a Lambda context, no read timeout).
 */
export function requestBudget(context, readTimeoutMs) {
  let limit = Infinity;
  if (typeof context?.getRemainingTimeInMillis === "function") {
    const remaining = Number(context.getRemainingTimeInMillis());
    if (Number.isFinite(remaining)) limit = remaining;
  }
  if (typeof readTimeoutMs === "number" && readTimeoutMs < limit) limit = readTimeoutMs;
  return limit === Infinity ? Infinity : Math.max(0, limit - DEADLINE_MARGIN_MS);
}

/** The failure (as cognito.mjs reports them) of a request whose deadline passed. */
export function deadlineFailure(fields = {}) {
  return { status: 503, reason: "deadline-exceeded", level: "error", ...fields };
}

/** The abort reason handed to the SDK, so a late rejection says why it came. */
export class DeadlineError extends Error {
  constructor(ms) {
    super(`the request's deadline (${ms} ms) passed`);
    this.name = "DeadlineError";
  }
}

/**
 * Runs `work(abortSignal)` for at most `ms` milliseconds. Resolves to its result, or, once the
 * time is up, to `expired()` at once, and aborts the signal so the SDK drops its request. With
 * `ms` = Infinity there is no timer and no signal.
 */
export async function withDeadline(ms, work, expired) {
  if (ms === Infinity) return work(undefined);
  const controller = new AbortController();
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => {
      resolve(expired());   // first, so the race cannot pick the aborted call's own answer
      controller.abort(new DeadlineError(ms));
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
