/**
 * A command that ran but did not do its job (e.g. an import that refused most lines): the CLI prints the
 * message as one line on stderr and exits with `exitCode`. Input and configuration errors exit 2.
 */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
