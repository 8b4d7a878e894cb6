import pino, { type Logger } from 'pino';

/** Structured JSON logs on stdout (one object per line), ready for any log shipper. */
export function createLogger(level: string, name = 'flywheel'): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
