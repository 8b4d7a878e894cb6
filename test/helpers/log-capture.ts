import { Writable } from 'node:stream';
import pino from 'pino';

/** One pino line as the tests read it: the level, the message, and whatever fields the line carried. */
export type LogLine = { level: number; msg: string } & Record<string, unknown>;

/** A debug-level pino logger whose JSON lines the test reads back (`lines()`), nothing printed. */
export function captureLogs(): { logger: pino.Logger; lines: () => LogLine[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return {
    logger: pino({ level: 'debug' }, stream),
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LogLine),
  };
}
