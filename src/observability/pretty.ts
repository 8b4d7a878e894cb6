import type { Writable } from 'node:stream';

/**
 * A pino destination that prints each JSON log line for a human at a terminal:
 *
 *   07:12:03.412 INFO  demo ready: open http://127.0.0.1:4000/graphiql ...  port=4000
 *
 * time (local, to the millisecond), level, message, then the other fields as key=value (objects as
 * compact JSON; errors with their stack on the following lines). pino-pretty does this and more, but
 * the gateway needs only this, with no transport thread and no dependency.
 */
const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '\x1b[90m'],
  20: ['DEBUG', '\x1b[36m'],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[35m'],
};
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'err']);

export function formatLogLine(line: string, colors = false): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const t = typeof o.time === 'string' || typeof o.time === 'number' ? new Date(o.time) : new Date();
  const time = `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}:${String(t.getSeconds()).padStart(2, '0')}.${String(t.getMilliseconds()).padStart(3, '0')}`;
  const [label, color] = LEVELS[Number(o.level)] ?? ['     ', ''];
  const fields = Object.entries(o)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  const dim = colors ? '\x1b[90m' : '';
  const reset = colors ? '\x1b[0m' : '';
  let out = `${dim}${time}${reset} ${colors ? color : ''}${label}${reset} ${String(o.msg ?? '')}${fields ? `  ${dim}${fields}${reset}` : ''}\n`;
  const err = o.err as { message?: string; stack?: string } | undefined;
  if (err)
    out += `${String(err.stack ?? err.message ?? JSON.stringify(err))
      .trimEnd()
      .replace(/^/gm, '    ')}\n`;
  return out;
}

/** A synchronous destination for pino: every write is one or more JSON lines. */
export function prettyDestination(out: Writable & { fd?: number }, { colors = false }: { colors?: boolean } = {}): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      let text = '';
      for (const line of chunk.split('\n')) if (line) text += formatLogLine(line, colors);
      out.write(text);
    },
  };
}
