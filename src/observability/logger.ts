import pino, { type Logger } from 'pino';
import { prettyDestination } from './pretty';

/**
 * Logs: JSON lines on stdout (one object per line, ready for any log shipper) when stdout is a pipe or
 * a file; a short human format when it is a terminal. FLYWHEEL_LOG_FORMAT=json|pretty forces one.
 */
export type LogFormat = 'auto' | 'json' | 'pretty';

export function createLogger(level: string, name = 'flywheel', format: LogFormat = 'auto'): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  const options = { name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  return pretty ? pino(options, prettyDestination(process.stdout, { colors: process.stdout.isTTY === true && !process.env.NO_COLOR })) : pino(options);
}
