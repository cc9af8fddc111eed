/**
 * The core's errors and the one choke point that turns any thrown value into a contract error.
 * Services throw `AppError`; SQLite errors are mapped to a few codes here, never in the services.
 */
import type { ContractError, ErrorCode } from '../../shared/contract'
import { messageOf } from '../../shared/messages'

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message)
    this.name = 'AppError'
  }
}

export const notFound = (what: string, id: string): AppError =>
  new AppError('NOT_FOUND', `${what} "${id}" was not found`)

/** What a user is told when the disk fills: what happened and what to do, never a raw ENOSPC. */
export const diskFullMessage = 'The disk is full: free some space, then try again (or Resume)'

/** SQLite's "database or disk is full" and the file system's ENOSPC / EDQUOT. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  const message = (err as { message?: unknown } | null)?.message
  return (
    code === 'SQLITE_FULL' ||
    code === 'ENOSPC' ||
    code === 'EDQUOT' ||
    (typeof message === 'string' && /\bENOSPC\b|database or disk is full|no space left on device/i.test(message))
  )
}

interface SqliteLikeError {
  code?: unknown
  message?: unknown
}

export function toContractError(err: unknown): ContractError {
  if (err instanceof AppError) {
    return err.field === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, field: err.field }
  }
  const e = (err ?? {}) as SqliteLikeError
  const sqliteCode = typeof e.code === 'string' ? e.code : ''
  if (sqliteCode.startsWith('SQLITE_CONSTRAINT')) {
    return { code: 'CONFLICT', message: `The change conflicts with existing data (${sqliteCode})` }
  }
  if (isDiskFull(err)) return { code: 'INVALID_STATE', message: diskFullMessage }
  if (sqliteCode === 'SQLITE_BUSY' || sqliteCode === 'SQLITE_LOCKED') {
    return { code: 'INVALID_STATE', message: 'The database is busy in another process; try again' }
  }
  const message = messageOf(err)
  return { code: 'INTERNAL', message: `Internal error: ${message}` }
}
