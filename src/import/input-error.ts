/**
 * The input file itself is unusable (missing, corrupt gzip, binary, broken CSV structure, bad column
 * mapping): the CLI prints the message as one line and exits with code 2, never a stack trace.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
}
