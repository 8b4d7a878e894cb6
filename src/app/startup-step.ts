import type { Logger } from 'pino';

/**
 * Awaits one step of a gateway's start and, while it waits, says which step every `warnEveryMs` (a warning):
 * a start that hangs names where. The production path's start opens the log and the graph, pins offsets,
 * reads the graph, joins consumer groups; once in a while a gateway under `bench:backends` answered nothing
 * for 120 s, idle, and nothing said which of those it was waiting for (BENCHMARKS.md, issue 16).
 */
export async function startupStep<T>(logger: Logger, step: string, work: Promise<T>, warnEveryMs = 10_000): Promise<T> {
  const started = Date.now();
  const timer = setInterval(() => logger.warn({ step, waitingMs: Date.now() - started }, 'gateway start: still waiting for this step'), warnEveryMs);
  timer.unref();
  try {
    return await work;
  } finally {
    clearInterval(timer);
    logger.debug({ step, ms: Date.now() - started }, 'gateway start: step done');
  }
}
