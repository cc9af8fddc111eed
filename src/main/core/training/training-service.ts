/**
 * Runs, on the main-process side: the lifecycle. Starts a run (freezing the dataset into a version, then
 * checking the model against the data and preparing the data, in run-inputs.ts), launches the
 * trainer process and records what it reports through the run store (RunRecords); pause, resume, stop.
 * A trainer that dies leaves its run marked interrupted or failed with the reason; an interrupted run
 * resumes from its last checkpoint. Cross-validation sits above this (CrossValidationService), inference
 * with finished weights beside it (Predictor).
 */
import { join } from 'node:path'
import type { EnginePreferences } from './engine-preference'
import type { ClusterJobInfo, ClusterProfileRecord } from '../../../shared/cluster'
import type { DatasetVersion, EngineChoice, Split, StartRunInput, TableColumn } from '../../../shared/contract'
import { storedSpec } from '../../../shared/model/registry'
import type { ModelSpec } from '../../../shared/model/types'
import {
  hyperparametersSchema,
  type Hyperparameters,
  type RunDetail,
  type RunStatus,
  type RunSummary,
} from '../../../shared/training'
import type { BlobStore } from '../datasets/blob-store'
import type { DatasetsService } from '../datasets/datasets-service'
import { AppError, diskFullMessage, isDiskFull } from '../errors'
import type { EventBus } from '../events'
import type { TrainerChild, TrainerLauncher } from './launcher'
import { findCheckpointsAfter } from './checkpoint'
import { unknownMessage, type FromTrainer, type TrainJob } from './protocol'
import { fitEncoder } from './table-encoding'
import { memoryRefusal, type MemoryLimit } from '../../../shared/model/memory'
import { trainingMemoryLimit } from './memory-limit'
import { messageOf } from '../../../shared/messages'
import type { RunRecords, RunRow } from './run-records'
import { checkRunSpec, prepareRunData } from './run-inputs'

interface Live {
  child: TrainerChild
  /** Resolves `done` without recording anything: the app closes and a cluster job goes on without it. */
  release: () => void
  /** What does not change while the run trains, kept here instead of re-read on every trainer message. */
  projectId: string
  epochs: number
  /** Set when the user asked to stop, so the exit is read as stopped rather than crashed. */
  stopping: boolean
  /** Why it was stopped, when not by the user (a sweep's pruning rule). */
  stopReason?: string
  ended: boolean
  done: Promise<void>
  /**
   * Set when the run must end interrupted, resumable, with this reason: a message could not be recorded
   * (the disk is full), or a trainer that was not responding was stopped.
   */
  interruptReason?: string
  /** When the trainer last said anything, and whether it has been silent too long. */
  lastSeen: number
  notResponding?: boolean
}

const notRespondingReason =
  'The trainer is not responding. Wait, or Stop it: Resume then continues from the last checkpoint'

/** What a cross-validation fold records with its run: how many folds, and which one this is. */
export interface FoldOf {
  folds?: number
  fold?: number
}

export class TrainingService {
  private readonly live = new Map<string, Live>()
  /** Runs whose data is still being prepared, before their trainer exists. */
  private readonly preparing = new Map<string, Promise<void>>()
  /** The splits a run trains with when they are not the version's own (set by cross-validation for its folds). */
  splitsFor: (run: RunRow) => Split[] | null = () => null
  /** Trainers on Slurm clusters (set by the core); without it, a run with a cluster target is refused. */
  clusters: ClusterTrainers | null = null

  constructor(
    private readonly records: RunRecords,
    private readonly datasets: DatasetsService,
    private readonly blobs: BlobStore,
    private readonly events: EventBus,
    private readonly launch: TrainerLauncher,
    /** The engine a run asks for when it names none (the Engine page's setting, MODELBENCH_ENGINE). */
    private readonly engines: Pick<EnginePreferences, 'resolve'>,
    /** How long a trainer may send nothing (it sends a heartbeat every 2 s) before it counts as not responding. */
    private readonly heartbeatTimeoutMs = 30_000,
    /** What training may use (a model estimated to need more is refused at start). */
    private readonly memoryLimit: MemoryLimit = trainingMemoryLimit(),
  ) {}

  /**
   * At start-up: runs that were going when the app stopped are interrupted; they can be resumed. A run on
   * a cluster went on without the app: its job is followed again from where its messages were read to.
   */
  recoverInterrupted(): void {
    const onClusters = this.clusters ? this.records.onClusters() : []
    this.records.markInterrupted(onClusters.map((r) => r.id))
    for (const r of onClusters) {
      const target = JSON.parse(r.target_json!) as ClusterJobInfo & { offset: number }
      try {
        const child = this.clusters!.trainer(r.id, target.profileId, {
          info: target,
          offset: target.offset,
          checkpointDir: this.checkpointDir(r.id),
        })
        this.follow(r.id, r, child)
      } catch (err) {
        this.setStatus(r.id, 'interrupted', `Its cluster job could not be followed again: ${messageOf(err)}`)
      }
    }
  }

  private checkpointDir(runId: string): string {
    return join(this.blobs.dataDir, 'runs', runId, 'checkpoints')
  }

  get(runId: string): RunDetail {
    return this.records.get(runId)
  }

  /** True while the run is being prepared or trained. */
  isBusy(runId: string): boolean {
    return this.live.has(runId) || this.preparing.has(runId)
  }

  /** Sets a run's status and says so on the event bus. */
  setStatus(
    runId: string,
    status: RunStatus,
    reason: string | null,
    extra: { started?: boolean; finished?: boolean } = {},
  ): void {
    this.records.writeStatus(runId, status, reason, extra)
    const r = this.records.row(runId)
    this.events.emit('training.statusChanged', { runId, projectId: r.project_id, status, reason })
  }

  /** Says on the run (its status stays) that its trainer has gone silent, or clears that. */
  private noteResponsiveness(runId: string, reason: string | null): void {
    try {
      this.records.writeReason(runId, reason)
      const r = this.records.row(runId)
      this.events.emit('training.statusChanged', { runId, projectId: r.project_id, status: r.status, reason })
    } catch (err) {
      console.error(
        `modelbench: could not record that the trainer of run ${runId} ${reason ? 'is not responding' : 'answers again'}:`,
        err,
      )
    }
  }

  /**
   * Ends a run that hit an error: failed with its message, except that a full disk is not the run's fault,
   * so the run is interrupted with the plain sentence and resumes from its checkpoints once there is room.
   */
  private endWithError(runId: string, projectId: string, err: unknown): void {
    const full = isDiskFull(err)
    const message = full ? diskFullMessage : messageOf(err)
    this.tryStatus(runId, full ? 'interrupted' : 'failed', message)
    this.events.emit('training.failed', { runId, projectId, message })
  }

  /** setStatus where the write itself may fail (a full disk): the next start marks the run interrupted then. */
  private tryStatus(runId: string, status: RunStatus, reason: string): void {
    try {
      this.setStatus(runId, status, reason, { finished: true })
    } catch (err) {
      console.error(`modelbench: could not record that run ${runId} is ${status}:`, err)
    }
  }

  // ---- starting --------------------------------------------------------------------------------------

  /** Checks everything a run needs, records it (queued) and starts it in the background. */
  async start(
    input: StartRunInput,
    parentRunId: string | null = null,
    sweepId: string | null = null,
  ): Promise<RunSummary> {
    const id = this.create(input, parentRunId, {}, sweepId)
    this.launchInBackground(id, null, input.engine)
    return this.records.summary(this.records.row(id))
  }

  /** Checks everything a run needs and records it, queued; returns its id. */
  create(input: StartRunInput, parentRunId: string | null, cv: FoldOf = {}, sweepId: string | null = null): string {
    const dataset = this.datasets.forProject(input.projectId)
    if (!dataset)
      throw new AppError('INVALID_STATE', 'This project has no data yet: import some on the Data page first')
    const version: DatasetVersion = input.datasetVersionId
      ? this.datasets.version(input.datasetVersionId)
      : this.datasets.freezeVersion(dataset.id)
    if (version.datasetId !== dataset.id)
      throw new AppError('INVALID_ARGUMENT', 'That dataset version belongs to another project', 'datasetVersionId')
    const parsed = hyperparametersSchema.safeParse(input.hyperparameters ?? {})
    if (!parsed.success)
      throw new AppError(
        'INVALID_ARGUMENT',
        `hyperparameters: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        'hyperparameters',
      )
    const hp = parsed.data
    const checked = checkRunSpec(
      input.spec,
      dataset.kind,
      dataset.task,
      version,
      dataset.columns_json ? (JSON.parse(dataset.columns_json) as TableColumn[]) : [],
    )
    // A cluster that has not passed its test submission is refused before anything is recorded.
    const cluster = input.target ? this.usableCluster(input.target) : null
    // Refused before anything is built or cached: training it would end in an out-of-memory crash.
    const tooBig = memoryRefusal(checked, hp.batchSize, this.memoryLimit)
    if (tooBig) throw new AppError('INVALID_ARGUMENT', tooBig, 'spec')
    // A run-wide initializer is written into the layers, so the recorded spec says exactly what trained.
    const spec: ModelSpec =
      hp.initializer === 'perLayer'
        ? checked
        : {
            ...checked,
            layers: checked.layers.map((l) =>
              'kernelInitializer' in l.config
                ? ({ ...l, config: { ...l.config, kernelInitializer: hp.initializer } } as typeof l)
                : l,
            ),
          }
    const id = this.records.insert({
      projectId: input.projectId,
      datasetVersionId: version.id,
      name: input.name ?? `Run ${this.records.count(input.projectId) + 1}`,
      spec,
      hyperparameters: hp,
      seed: input.seed ?? Math.floor(Math.random() * 2 ** 31),
      parentRunId,
      folds: cv.folds ?? null,
      fold: cv.fold ?? null,
      sweepId,
    })
    if (cluster)
      this.records.writeTarget(id, {
        profileId: cluster.id,
        profileName: cluster.profile.name,
        jobId: null,
        state: null,
        reason: null,
        node: null,
        attempts: 0,
        jobDir: '',
        log: '',
        offset: 0,
      })
    this.events.emit('training.statusChanged', {
      runId: id,
      projectId: input.projectId,
      status: 'queued',
      reason: null,
    })
    return id
  }

  /** The number of features a table project's model takes (for the Model page and tests). */
  featureCount(projectId: string): number {
    const dataset = this.datasets.forProject(projectId)
    if (!dataset || dataset.kind !== 'table') throw new AppError('INVALID_STATE', 'This project does not hold a table')
    return fitEncoder(
      JSON.parse(dataset.columns_json ?? '[]') as TableColumn[],
      [],
      this.datasets.tableValues(dataset.id),
    ).featureCount
  }

  /** Prepares and trains the run in the background; `resume` continues from a checkpoint. */
  launchInBackground(runId: string, resume: TrainJob['resume'], engine?: EngineChoice): void {
    const pending = this.launchRun(runId, resume, engine).finally(() => this.preparing.delete(runId))
    this.preparing.set(runId, pending)
  }

  private async launchRun(runId: string, resume: TrainJob['resume'], engine?: EngineChoice): Promise<void> {
    const r = this.records.row(runId)
    const hyperparameters = JSON.parse(r.hyperparameters_json) as Hyperparameters
    let job: TrainJob
    try {
      const version = this.datasets.version(r.dataset_version_id)
      const spec = storedSpec(r.spec_json)
      const dataset = this.datasets.row(version.datasetId)
      job = {
        runId,
        spec,
        hyperparameters,
        seed: r.seed,
        task: dataset.task,
        classNames: version.classNames,
        data: await prepareRunData(
          { datasets: this.datasets, blobs: this.blobs, events: this.events },
          runId,
          r.project_id,
          spec,
          version,
          this.splitsFor(r),
        ),
        checkpointDir: this.checkpointDir(runId),
        resume,
        ...(this.engines.resolve(engine) ? { engine: this.engines.resolve(engine)! } : {}),
      }
    } catch (err) {
      // Preparing the data can fill the disk (the tensor cache): then the run waits to be resumed.
      this.endWithError(runId, r.project_id, err)
      return
    }
    let child: TrainerChild
    try {
      const target = r.target_json ? (JSON.parse(r.target_json) as ClusterJobInfo) : null
      if (target) this.usableCluster(target.profileId)
      child = target ? this.clusters!.trainer(runId, target.profileId) : this.launch()
    } catch (err) {
      this.endWithError(runId, r.project_id, err)
      return
    }
    this.follow(runId, r, child)
    child.send({ type: 'start', job })
  }

  /** The cluster profile, if a run may train on it now (it passed its test submission). */
  private usableCluster(profileId: string): ClusterProfileRecord {
    if (!this.clusters) throw new AppError('INVALID_STATE', 'Cluster runs are not available here', 'target')
    return this.clusters.usable(profileId)
  }

  /** Records what a trainer (local, or a cluster job) reports for a run until it ends. */
  private follow(runId: string, r: RunRow, child: TrainerChild): void {
    const hyperparameters = JSON.parse(r.hyperparameters_json) as Hyperparameters
    let resolveDone!: () => void
    const live: Live = {
      child,
      release: () => {
        live.ended = true
        clearInterval(watch)
        this.live.delete(runId)
        resolveDone()
      },
      projectId: r.project_id,
      epochs: hyperparameters.epochs,
      stopping: false,
      ended: false,
      done: new Promise((res) => (resolveDone = res)),
      lastSeen: Date.now(),
    }
    this.live.set(runId, live)
    const watch = setInterval(
      () => {
        if (live.ended || live.notResponding || Date.now() - live.lastSeen < this.heartbeatTimeoutMs) return
        live.notResponding = true
        this.noteResponsiveness(runId, notRespondingReason)
      },
      Math.min(5000, this.heartbeatTimeoutMs / 3),
    )
    watch.unref()
    child.onMessage((m) => {
      if (live.interruptReason) return
      live.lastSeen = Date.now()
      if (live.notResponding) {
        live.notResponding = false
        this.noteResponsiveness(runId, null)
      }
      try {
        this.onMessage(runId, live, m)
      } catch (err) {
        // Never drop a message and train on: what is recorded would no longer be the run. Stop the trainer;
        // the run resumes from its last recorded checkpoint once the cause (a full disk) is gone.
        live.interruptReason = isDiskFull(err)
          ? diskFullMessage
          : `A result from the trainer could not be recorded (${messageOf(err)}); Resume continues from the last checkpoint`
        console.error(`modelbench: could not record a message from the trainer of run ${runId}:`, err)
        child.kill()
      }
    })
    child.onExit((code, signal) => {
      clearInterval(watch)
      this.live.delete(runId)
      if (live.interruptReason) {
        live.ended = true
        this.tryStatus(runId, 'interrupted', live.interruptReason)
        this.events.emit('training.failed', { runId, projectId: live.projectId, message: live.interruptReason })
      } else if (!live.ended) {
        live.ended = true
        if (live.stopping) {
          this.setStatus(runId, 'stopped', live.stopReason ?? 'Stopped by the user', { finished: true })
        } else {
          const reason = signal
            ? `The trainer process was killed (${signal}); resume continues from the last checkpoint`
            : `The trainer process ended unexpectedly (exit code ${code}); resume continues from the last checkpoint`
          this.setStatus(runId, 'interrupted', reason, { finished: true })
          this.events.emit('training.failed', { runId, projectId: live.projectId, message: reason })
        }
      }
      resolveDone()
    })
  }

  private onMessage(runId: string, live: Live, m: FromTrainer): void {
    const { projectId, epochs } = live
    switch (m.type) {
      case 'started':
        this.records.writeEngine(runId, m.engine)
        this.setStatus(runId, 'running', null, { started: true })
        return
      case 'batchEnded':
        this.records.recordBatches(runId, m.epoch, m.recorded)
        this.events.emit('training.batchEnded', {
          runId,
          projectId,
          epoch: m.epoch,
          epochs,
          batch: m.batch,
          batches: m.batches,
          step: m.step,
          loss: m.loss,
          accuracy: m.accuracy,
          samplesPerSecond: m.samplesPerSecond,
        })
        return
      case 'epochEnded':
        this.records.recordEpoch(runId, { epoch: m.epoch, step: m.step, report: m, files: m.checkpoint.files })
        this.events.emit('training.epochEnded', {
          runId,
          projectId,
          epoch: m.epoch,
          epochs,
          metrics: m.metrics,
          samplesPerSecond: m.samplesPerSecond,
          seconds: m.seconds,
        })
        return
      case 'heartbeat':
        return
      case 'preparing':
        this.events.emit('training.prepareProgressed', {
          runId,
          projectId,
          phase: m.phase,
          done: m.done,
          total: m.total,
          secondsLeft: m.secondsLeft,
        })
        return
      case 'paused':
        this.setStatus(runId, 'paused', null)
        return
      case 'resumed':
        this.setStatus(runId, 'running', null)
        return
      case 'predictions':
        this.records.recordPredictions(this.records.row(runId), m.split, m.rows, m.loss)
        return
      case 'finished': {
        live.ended = true
        const reason = m.status === 'stopped' && live.stopReason ? live.stopReason : m.reason
        this.setStatus(runId, m.status, reason, { finished: true })
        this.events.emit('training.finished', { runId, projectId, status: m.status, reason })
        return
      }
      case 'predicted':
      case 'exported':
      case 'probed':
        // Only one-off jobs answer these; a training run never does.
        return
      case 'failed':
        live.ended = true
        this.endWithError(runId, projectId, new Error(m.message))
        return
      default:
        unknownMessage(m)
    }
  }

  /**
   * Checkpoints that reached the disk after the last one recorded (the process died between writing one
   * and recording it) count as if their epochEnded message had arrived. Returns the newest checkpoint.
   */
  private adoptCheckpoints(runId: string): { epoch: number; path: string } | undefined {
    const found = findCheckpointsAfter(
      join(this.blobs.dataDir, 'runs', runId, 'checkpoints'),
      this.records.lastCheckpoint(runId)?.epoch ?? 0,
    )
    for (const c of found) this.records.recordEpoch(runId, c)
    return this.records.lastCheckpoint(runId)
  }

  // ---- deleting, re-running --------------------------------------------------------------------------

  delete(runId: string): { runId: string } {
    const r = this.records.row(runId)
    if (this.isBusy(runId)) throw new AppError('INVALID_STATE', `“${r.name}” is training; stop it before deleting it`)
    this.records.softDelete(runId)
    return { runId }
  }

  /** The same model, settings, dataset version and seed, as a new run linked to this one. */
  rerun(runId: string): Promise<RunSummary> {
    const r = this.records.row(runId)
    const engine = recordedEngine(r)
    return this.start(
      {
        projectId: r.project_id,
        spec: storedSpec(r.spec_json),
        hyperparameters: JSON.parse(r.hyperparameters_json) as Hyperparameters,
        seed: r.seed,
        datasetVersionId: r.dataset_version_id,
        name: `${r.name} (re-run)`,
        ...(engine ? { engine } : {}),
        // Where it trained, too: a cluster run is re-run on the same cluster.
        ...(r.target_json ? { target: (JSON.parse(r.target_json) as ClusterJobInfo).profileId } : {}),
      },
      runId,
    )
  }

  // ---- control -------------------------------------------------------------------------------------

  pause(runId: string): RunSummary {
    const r = this.records.row(runId)
    const live = this.live.get(runId)
    if (!live || r.status !== 'running')
      throw new AppError('INVALID_STATE', `Only a running run can be paused; this one is ${r.status}`)
    live.child.send({ type: 'pause' })
    return this.records.summary(r)
  }

  resume(runId: string): RunSummary {
    const r = this.records.row(runId)
    const live = this.live.get(runId)
    if (live && r.status === 'paused') {
      live.child.send({ type: 'resume' })
      return this.records.summary(r)
    }
    if (r.status !== 'interrupted')
      throw new AppError('INVALID_STATE', `Only a paused or interrupted run can be resumed; this one is ${r.status}`)
    const last = this.adoptCheckpoints(runId)
    this.records.requeue(runId)
    this.events.emit('training.statusChanged', { runId, projectId: r.project_id, status: 'queued', reason: null })
    // It continues on the engine it started on, so its numbers carry on exactly.
    this.launchInBackground(runId, last ? { epoch: last.epoch, dir: join(last.path, '..') } : null, recordedEngine(r))
    return this.records.summary(this.records.row(runId))
  }

  /** Stops a run; `reason` replaces "Stopped by the user" when something else stopped it. */
  stop(runId: string, reason?: string): RunSummary {
    const r = this.records.row(runId)
    const live = this.live.get(runId)
    if (!live) {
      if (r.status === 'interrupted') {
        this.setStatus(runId, 'stopped', 'Stopped by the user', { finished: true })
        return this.records.summary(this.records.row(runId))
      }
      throw new AppError('INVALID_STATE', `This run is not training; it is ${r.status}`)
    }
    if (live.notResponding) {
      // It would never read a stop message: end the process; its checkpoints stay for Resume.
      live.interruptReason = 'Stopped while the trainer was not responding; Resume continues from the last checkpoint'
      live.child.kill()
      return this.records.summary(r)
    }
    live.stopping = true
    if (reason) live.stopReason = reason
    live.child.send({ type: 'stop' })
    return this.records.summary(r)
  }

  /** Resolves when the run's trainer process has ended (for tests and shutdown). */
  async whenDone(runId: string): Promise<RunSummary> {
    await this.preparing.get(runId)
    await this.live.get(runId)?.done
    return this.records.summary(this.records.row(runId))
  }

  /** For tests: kills the trainer as a crash would. */
  killTrainer(runId: string): void {
    this.live.get(runId)?.child.kill()
  }

  /** The trainer process of a live run, for tests that freeze it. */
  trainerPid(runId: string): number | undefined {
    return this.live.get(runId)?.child.pid
  }

  /** For closing the app: local trainers end (their runs resume later); cluster jobs go on, followed again next start. */
  async stopAll(): Promise<void> {
    await Promise.all(this.preparing.values())
    const lives = [...this.live.values()]
    for (const l of lives) {
      if (l.child.detach) {
        l.child.detach()
        l.release()
      } else l.child.kill()
    }
    await Promise.all(lives.map((l) => l.done))
  }
}

/** The engine a run trained on, from its receipt; undefined before it started. */
function recordedEngine(r: { engine_json: string | null }): EngineChoice | undefined {
  return r.engine_json ? (JSON.parse(r.engine_json) as { engine: EngineChoice }).engine : undefined
}

/** What the training service needs from the cluster service. */
export interface ClusterTrainers {
  /** The profile, if a run may train on it (it passed its test submission); throws otherwise. */
  usable(profileId: string): ClusterProfileRecord
  trainer(
    runId: string,
    profileId: string,
    known?: { info: ClusterJobInfo; offset: number; checkpointDir: string },
  ): TrainerChild
}
