/**
 * The core: opens the store in a data directory and implements every contract method. `call` is the one
 * entry point the transports use: it validates the input against the contract's schema, runs the
 * handler and returns a `Result`, so errors always cross as data. Imports neither electron nor react.
 */
import type { AppInfo, MethodInput, MethodName, MethodOutput, Result } from '../../shared/contract'
import { isMethodName } from '../../shared/contract'
import { describeIssue, inputSchemas } from '../../shared/schemas'
import { AppError, toContractError } from './errors'
import { EventBus } from './events'
import { ProjectsService } from './projects'
import { openDatabase, schemaVersion, type Db } from './store/database'

export interface CoreOptions {
  dataDir: string
  shell: AppInfo['shell']
  version: string
  nativeBinding?: string
}

type Handlers = { [M in MethodName]: (input: MethodInput<M>) => MethodOutput<M> | Promise<MethodOutput<M>> }

export interface Core {
  readonly events: EventBus
  readonly dataDir: string
  call(method: string, input: unknown): Promise<Result<unknown>>
  close(): void
}

export function createCore(options: CoreOptions): Core {
  const db: Db = openDatabase(options.dataDir, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {})
  const events = new EventBus()
  const projects = new ProjectsService(db)

  const handlers: Handlers = {
    'app.getInfo': () => ({
      appName: 'ModelBench',
      version: options.version,
      shell: options.shell,
      dataDir: options.dataDir,
      schemaVersion: schemaVersion(db),
      nodeVersion: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
    }),
    'projects.list': () => projects.list(),
    'projects.get': ({ id }) => projects.get(id),
    'projects.create': ({ name, description }) => {
      const project = projects.create(name, description)
      events.emit('projects.changed', { reason: 'created', projectId: project.id })
      return project
    },
    'projects.open': ({ id }) => {
      const project = projects.open(id)
      events.emit('projects.changed', { reason: 'opened', projectId: id })
      return project
    },
    'projects.rename': ({ id, name }) => {
      const project = projects.rename(id, name)
      events.emit('projects.changed', { reason: 'renamed', projectId: id })
      return project
    },
    'projects.delete': ({ id }) => {
      projects.delete(id)
      events.emit('projects.changed', { reason: 'deleted', projectId: id })
      return { id }
    },
    'projects.restore': ({ id }) => {
      const project = projects.restore(id)
      events.emit('projects.changed', { reason: 'restored', projectId: id })
      return project
    },
  }

  async function call(method: string, input: unknown): Promise<Result<unknown>> {
    try {
      if (!isMethodName(method)) throw new AppError('NOT_FOUND', `Unknown method "${method}"`)
      const parsed = inputSchemas[method].safeParse(input ?? {})
      if (!parsed.success) {
        const { field, message } = describeIssue(parsed.error)
        throw new AppError('INVALID_ARGUMENT', message, field)
      }
      const handler = handlers[method] as (input: unknown) => unknown
      return { ok: true, value: await handler(parsed.data) }
    } catch (err) {
      const error = toContractError(err)
      if (error.code === 'INTERNAL') console.error(`modelbench: ${method} failed:`, err)
      return { ok: false, error }
    }
  }

  return {
    events,
    dataDir: options.dataDir,
    call,
    close: () => db.close(),
  }
}

export type { MethodOutput }
