/** The backing database cannot be reached (thrown fast instead of hanging); clients see code UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly extensions = { code: 'UNAVAILABLE' as const };
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
