import type { ErasureResultData } from '../../src/privacy/erasure-service';
import type { ErasureResultType } from '../../graph-models/privacy.model';

/** The erasure report has the GraphQL shape already; typed here so a change on either side is a compile error. */
export function toErasureResult(result: ErasureResultData): ErasureResultType {
  return result;
}
