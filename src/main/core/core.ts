/**
 * The core: opens the store in a data directory and implements every contract method. `call` is the one
 * entry point the transports use: it validates the input against the contract's schema, runs the
 * handler and returns a `Result`, so errors always cross as data. Imports neither electron nor react.
 */
import type { AppInfo, MethodInput, MethodName, MethodOutput, Result } from '../../shared/contract'
import { isMethodName } from '../../shared/contract'
import { describeIssue, inputSchemas } from '../../shared/schemas'
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { ArchitecturesService } from './architectures'
import { ExportService, forkVerifier, type VerifyLauncher } from './export/export-service'
import { SweepService, type StartSweepInput } from './sweeps/sweep-service'
import { BlobStore } from './datasets/blob-store'
import { DatasetsService } from './datasets/datasets-service'
import { ImportsService, type ImportOptions } from './datasets/imports-service'
import { writeDigitsFolder, writeIrisCsv } from './datasets/sample-data'
import { previewTable, readTableFile } from './datasets/table-file'
import { AppError, toContractError } from './errors'
import { EventBus } from './events'
import { ProjectsService } from './projects'
import { dailyBackup } from './store/backups'
import { openDatabase, schemaVersion, type Db } from './store/database'
import { acquireLock, type DataDirLock } from './store/lock'
import { augmentationPreview } from './training/augment-preview'
import { gpuReport, gpuSteps } from './training/doctor'
import { forkLauncher, type TrainerLauncher } from './training/launcher'
import { TrainingService } from './training/training-service'
import { CrossValidationService } from './training/cross-validation'
import { Predictor } from './training/predictor'
import { ClusterService } from './cluster/cluster-service'
import { runCommand } from './cluster/slurm'
import { EnginePreferences } from './training/engine-preference'
import type { EngineProbe } from './training/engine'
import { messageOf } from '../../shared/messages'
import { RunRecords } from './training/run-records'
import { Uploads, type UploadLimits } from './uploads'
import { trainingMemoryLimit } from './training/memory-limit'

export interface CoreOptions {
  dataDir: string
  shell: AppInfo['shell']
  version: string
  nativeBinding?: string
  import?: ImportOptions
  /** Create and open the digits sample project the first time this data directory is used. */
  sampleOnFirstStart?: boolean
  /** How to start the trainer process; by default the TypeScript source through tsx (tests, development). */
  trainer?: TrainerLauncher
  /**
   * Whether this process owns the data directory's work (the app and the server do): at start-up, runs,
   * imports and exports left running by a previous process are marked interrupted. A command such as
   * `modelbench export`, which may run beside the app, says false so it leaves the app's work alone.
   */
  ownsWork?: boolean
  /** How to start the export check process; by default its TypeScript source through tsx. */
  verifier?: VerifyLauncher
  uploadLimits?: UploadLimits
  /** How long a silent trainer is waited for before its run says it is not responding (default 30 s). */
  trainerHeartbeatTimeoutMs?: number
  /** How often a cluster job's folder and Slurm's queue are read (default 500 ms). */
  clusterPollMs?: number
}

function sourceTrainer(): TrainerLauncher {
  return forkLauncher(fileURLToPath(new URL('../trainer-process.ts', import.meta.url)), ['--import', 'tsx'])
}

function sourceVerifier(): VerifyLauncher {
  return forkVerifier(fileURLToPath(new URL('../export-runtime/verify.ts', import.meta.url)), ['--import', 'tsx'])
}

type Handlers = { [M in MethodName]: (input: MethodInput<M>) => MethodOutput<M> | Promise<MethodOutput<M>> }

export interface Core {
  readonly events: EventBus
  readonly dataDir: string
  readonly blobs: BlobStore
  readonly uploads: Uploads
  /** The data directory's lock, held by the process that owns its work (null for a command beside it). */
  readonly lock: DataDirLock | null
  readonly imports: ImportsService
  readonly training: TrainingService
  /** The run store: every read of runs, metrics, evaluations and predictions. */
  readonly runs: RunRecords
  readonly crossValidation: CrossValidationService
  readonly predictor: Predictor
  readonly exports: ExportService
  readonly sweeps: SweepService
  readonly clusters: ClusterService
  /** A contract method, typed for callers: the input it takes and what it answers. */
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<Result<MethodOutput<M>>>
  /** Any method by name, as a transport passes on what arrived (an unknown name is answered NOT_FOUND). */
  call(method: string, input: unknown): Promise<Result<unknown>>
  /** Stops running work (imports end as cancelled, whole batches kept) and closes the database. */
  close(): Promise<void>
}

const sampleProjects = {
  digits: { name: 'Handwritten digits', description: '10,000 handwritten digits (MNIST), 28×28 grey, 10 classes.' },
  iris: {
    name: 'Iris flowers',
    description: "Fisher's iris flowers: 149 distinct flowers, four measurements each, three species.",
  },
} as const

export function createCore(options: CoreOptions): Core {
  // The owner takes the data directory's lock before it opens (and perhaps migrates) the database.
  mkdirSync(options.dataDir, { recursive: true })
  const lock =
    options.ownsWork !== false ? acquireLock(options.dataDir, options.shell === 'electron' ? 'app' : 'server') : null
  let db: Db
  try {
    db = openDatabase(options.dataDir, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {})
  } catch (err) {
    lock?.release()
    throw err
  }
  const events = new EventBus()
  const projects = new ProjectsService(db)
  const blobs = new BlobStore(options.dataDir)
  const datasets = new DatasetsService(db, events, projects)
  const uploads = new Uploads(options.dataDir, options.uploadLimits)
  const imports = new ImportsService(db, datasets, blobs, events, uploads, options.import)
  const architectures = new ArchitecturesService(db)
  const launcher = options.trainer ?? sourceTrainer()
  const runs = new RunRecords(db, datasets)
  const engines = new EnginePreferences(projects)
  const training = new TrainingService(
    runs,
    datasets,
    blobs,
    events,
    launcher,
    engines,
    options.trainerHeartbeatTimeoutMs,
  )
  const clusters = new ClusterService(db, runs, events, runCommand, options.clusterPollMs)
  training.clusters = clusters
  const crossValidation = new CrossValidationService(runs, training, datasets)
  const predictor = new Predictor(runs, datasets, blobs, launcher, engines)
  const exports = new ExportService(
    db,
    runs,
    predictor,
    datasets,
    projects,
    blobs,
    events,
    options.verifier ?? sourceVerifier(),
    options.version,
  )
  const sweeps = new SweepService(db, training, runs, datasets, events)
  if (options.ownsWork !== false) {
    imports.recoverInterrupted()
    training.recoverInterrupted()
    exports.recoverInterrupted()
    // After the runs are marked interrupted: a sweep that was running resumes its trial's run.
    sweeps.recoverInterrupted()
    void uploads.removeStale().catch((err: unknown) => console.error('modelbench: could not remove old uploads:', err))
    void blobs
      .removeOrphans(datasets.knownHashes())
      .catch((err: unknown) => console.error('modelbench: could not remove unused image files:', err))
    dailyBackup(db, options.dataDir)
  }

  /**
   * Creates a sample project under a free name, opens it if asked, and starts importing its generated
   * files (written into a temporary folder in the data directory, removed when the import ends).
   */
  async function createSample(
    sample: keyof typeof sampleProjects,
    open = false,
  ): Promise<{ project: MethodOutput<'projects.get'>; import: MethodOutput<'imports.get'> }> {
    const base = sampleProjects[sample]
    const taken = new Set(projects.list().map((p) => p.name.toLowerCase()))
    let name: string = base.name
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base.name} ${n}`
    mkdirSync(options.dataDir, { recursive: true })
    const tmp = mkdtempSync(join(options.dataDir, 'tmp-sample-'))
    const cleanup = (): Promise<void> => rm(tmp, { recursive: true, force: true })
    try {
      let project = projects.create(name, base.description)
      if (open) project = projects.open(project.id)
      events.emit('projects.changed', { reason: 'created', projectId: project.id })
      if (sample === 'digits') {
        return {
          project,
          import: imports.startImages(project.id, [tmp], { prepare: () => writeDigitsFolder(tmp), cleanup, own: true }),
        }
      }
      const csv = join(tmp, 'iris.csv')
      await writeIrisCsv(csv)
      const started = await imports.startTable(project.id, csv, 'species', 'classification')
      void imports.whenDone(started.id).finally(cleanup)
      return { project, import: started }
    } catch (err) {
      await cleanup()
      throw err
    }
  }

  // On the very first start, give the user something to train on: the digits sample, opened.
  if (options.sampleOnFirstStart) {
    if (projects.firstStart()) {
      if (projects.list().length === 0) {
        createSample('digits', true).catch((err: unknown) =>
          console.error('modelbench: could not create the sample project:', err),
        )
      }
    }
  }

  const handlers: Handlers = {
    'app.getInfo': () => ({
      appName: 'ModelBench',
      version: options.version,
      shell: options.shell,
      dataDir: options.dataDir,
      schemaVersion: schemaVersion(db),
      nodeVersion: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
      trainingMemory: trainingMemoryLimit(),
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
    'projects.getDrafts': ({ id }) => projects.drafts(id),
    'projects.saveDrafts': ({ id, model, train }) =>
      projects.saveDrafts(id, { ...(model !== undefined ? { model } : {}), ...(train !== undefined ? { train } : {}) }),
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
    'projects.createSample': ({ sample }) => createSample(sample),
    'datasets.get': ({ projectId }) => {
      projects.get(projectId)
      return datasets.get(projectId)
    },
    'datasets.importImages': ({ projectId, paths, className }) =>
      imports.startImages(projectId, paths, className ? { className } : {}),
    'datasets.previewTable': async ({ path }) => previewTable(path, await readTableFile(path)),
    'datasets.importTable': ({ projectId, path, targetColumn, task, columnTypes }) =>
      imports.startTable(projectId, path, targetColumn, task, columnTypes),
    'datasets.split': ({ datasetId, train, validation, test, seed }) =>
      datasets.split(datasetId, { train, validation, test, seed }),
    'datasets.freezeVersion': ({ datasetId }) => datasets.freezeVersion(datasetId),
    'datasets.listVersions': ({ datasetId }) => datasets.listVersions(datasetId),
    'imports.get': ({ importId }) => imports.get(importId),
    'imports.cancel': ({ importId }) => imports.cancel(importId),
    'uploads.putFile': ({ uploadId, name, base64 }) => {
      const data = Buffer.from(base64, 'base64')
      return uploads.receive(uploadId, name, Readable.from([data]), data.length)
    },
    'imports.listIssues': ({ importId, offset, limit }) => imports.listIssues(importId, offset, limit),
    'classes.create': ({ datasetId, name, color }) => datasets.createClass(datasetId, name, color),
    'classes.update': ({ classId, name, color }) =>
      datasets.updateClass(classId, {
        ...(name !== undefined ? { name } : {}),
        ...(color !== undefined ? { color } : {}),
      }),
    'classes.merge': ({ sourceId, targetId }) => datasets.mergeClasses(sourceId, targetId),
    'classes.delete': ({ classId }) => datasets.deleteClass(classId),
    'samples.list': ({ datasetId, filter, offset, limit }) => datasets.listSamples(datasetId, filter, offset, limit),
    'samples.setLabels': ({ labels }) => datasets.setLabels(labels),
    'runs.start': (input) => training.start(input),
    'runs.pause': ({ runId }) => training.pause(runId),
    // A cross-validation's parent is resumed, stopped, re-run and deleted by the cross-validation service.
    'runs.resume': ({ runId }) =>
      crossValidation.isParent(runId) ? crossValidation.resume(runId) : training.resume(runId),
    'runs.stop': ({ runId }) => (crossValidation.isParent(runId) ? crossValidation.stop(runId) : training.stop(runId)),
    'runs.list': ({ projectId, offset, limit }) => runs.list(projectId, offset, limit),
    'runs.get': ({ runId }) => runs.get(runId),
    'runs.update': ({ runId, name, tags, notes }) =>
      runs.update(runId, {
        ...(name !== undefined ? { name } : {}),
        ...(tags !== undefined ? { tags } : {}),
        ...(notes !== undefined ? { notes } : {}),
      }),
    'runs.delete': ({ runId }) =>
      crossValidation.isParent(runId) ? crossValidation.delete(runId) : training.delete(runId),
    'runs.restore': ({ runId }) => runs.restore(runId),
    'runs.rerun': ({ runId }) =>
      crossValidation.isParent(runId) ? crossValidation.rerun(runId) : training.rerun(runId),
    'runs.compare': ({ runIds, metric }) => runs.compare(runIds, metric),
    'runs.crossValidate': (input) => crossValidation.crossValidate(input),
    'runs.crossValidation': ({ runId }) => crossValidation.summary(runId),
    'runs.suggestLabels': ({ runId }) => predictor.suggestLabels(runId),
    'runs.tryImage': ({ runId, sampleId, imageBase64, fileName }) =>
      predictor.tryImage(runId, {
        ...(sampleId !== undefined ? { sampleId } : {}),
        ...(imageBase64 ? { image: Buffer.from(imageBase64, 'base64') } : {}),
        ...(fileName ? { fileName } : {}),
      }),
    'runs.tryRow': ({ runId, sampleId, values }) =>
      predictor.tryRow(runId, { ...(sampleId !== undefined ? { sampleId } : {}), ...(values ? { values } : {}) }),
    'exports.start': ({ runId, formats, dir }) => exports.start(runId, formats, dir),
    'sweeps.start': (input) => sweeps.start(input as StartSweepInput),
    'sweeps.list': ({ projectId }) => sweeps.list(projectId),
    'sweeps.get': ({ sweepId }) => sweeps.get(sweepId),
    'sweeps.pause': ({ sweepId }) => sweeps.pause(sweepId),
    'sweeps.resume': ({ sweepId }) => sweeps.resume(sweepId),
    'sweeps.stop': ({ sweepId }) => sweeps.stop(sweepId),
    'exports.get': ({ exportId }) => exports.get(exportId),
    'exports.list': ({ projectId }) => exports.list(projectId),
    'exports.defaultDir': ({ runId }) => ({ dir: exports.defaultDir(runId) }),
    'runs.examples': ({ runId, split, trueIndex, predictedIndex, includeChecked, offset, limit }) =>
      runs.examples(
        runId,
        split,
        {
          ...(trueIndex !== undefined ? { trueIndex } : {}),
          ...(predictedIndex !== undefined ? { predictedIndex } : {}),
          ...(includeChecked !== undefined ? { includeChecked } : {}),
        },
        offset,
        limit,
      ),
    'runs.markChecked': ({ runId, split, sampleId, checked }) => runs.markChecked(runId, split, sampleId, checked),
    'runs.metrics': ({ runId, keys }) => runs.metrics(runId, keys),
    'runs.evaluation': ({ runId }) => runs.evaluation(runId),
    'runs.predictions': ({ runId, split, offset, limit }) => runs.predictions(runId, split, offset, limit),
    'datasets.previewAugmentation': async ({ projectId, inputShape, augmentation, seed }) => {
      const dataset = datasets.forProject(projectId)
      if (!dataset || dataset.kind !== 'image')
        throw new AppError('INVALID_STATE', 'Augmentation applies to image projects')
      const [height, width, channels] = inputShape as [number, number, number]
      if (channels !== 1 && channels !== 3)
        throw new AppError('INVALID_ARGUMENT', 'channels must be 1 or 3', 'inputShape')
      return augmentationPreview(datasets, blobs, dataset.id, { height, width, channels }, augmentation, seed)
    },
    'architectures.list': ({ projectId }) => {
      projects.get(projectId)
      return architectures.list(projectId)
    },
    'architectures.save': ({ projectId, name, spec }) => {
      projects.get(projectId)
      return architectures.save(projectId, name, spec)
    },
    'architectures.rename': ({ projectId, name, newName }) => architectures.rename(projectId, name, newName),
    'architectures.delete': ({ projectId, name }) => architectures.delete(projectId, name),
    'engine.doctor': async () => {
      const total = gpuSteps.length + 1
      events.emit('engine.doctorProgressed', {
        step: 'Starting the training engine and asking WebGPU for a graphics card',
        done: 0,
        total,
      })
      // Started in a trainer process, as training starts it: Dawn and tfjs-node stay out of this process.
      const found = await predictor.probeEngines(engines.resolve()).catch((err: unknown): EngineProbe => ({
        engine: null,
        engineProblem: messageOf(err),
        webgpu: { adapter: null, problem: 'not checked: the trainer process did not answer' },
      }))
      if (found.engineProblem) console.error('modelbench: no engine could start:', found.engineProblem)
      const gpu = await gpuReport(found.webgpu, (step) =>
        events.emit('engine.doctorProgressed', { step, done: gpuSteps.indexOf(step) + 1, total }),
      )
      events.emit('engine.doctorProgressed', { step: 'Done', done: total, total })
      return { engine: found.engine, engineProblem: found.engineProblem, gpu, preference: engines.get() }
    },
    'engine.setPreference': ({ choice }) => engines.set(choice),
    'clusters.list': () => clusters.list(),
    'clusters.save': ({ id, profile }) => clusters.save(profile, id),
    'clusters.delete': ({ id }) => clusters.delete(id),
    'clusters.check': ({ id }) => clusters.check(id),
    'runs.jobLog': ({ runId }) => {
      const target = runs.get(runId).target
      if (!target?.log)
        throw new AppError('INVALID_STATE', 'This run did not train on a cluster, or its job was not submitted')
      return { path: target.log, text: tailOf(target.log, 200) }
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
    blobs,
    uploads,
    lock,
    imports,
    training,
    runs,
    crossValidation,
    predictor,
    exports,
    sweeps,
    clusters,
    call: call as Core['call'],
    close: async () => {
      await imports.stopAll()
      await exports.closeAll()
      await sweeps.closeAll(() => crossValidation.stopAll())
      db.close()
      lock?.release()
    },
  }
}

export type { MethodOutput }

/** The last `lines` lines of a text file; a note when it is not there yet. */
function tailOf(path: string, lines: number): string {
  if (!existsSync(path)) return `(no log yet: ${path} appears when Slurm starts the job)`
  return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n')
}
