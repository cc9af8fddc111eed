/** Unwraps a contract Result in tests, failing with the error when it is not ok. */
import type { Result } from '../../shared/contract'

export function value<T>(result: Result<unknown>): T {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.error)}`)
  return result.value as T
}
