/**
 * Slurm cluster profiles, stored per data directory and checked with a test submission before first use,
 * and the trainers of runs that train on one (slurm-child.ts). A run's job — its id, Slurm's state and
 * reason, the node, the folder — is recorded with the run (RunRecords.writeTarget), so after a restart the
 * app follows the same job again instead of starting it anew.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  clusterProfileSchema,
  type ClusterJobInfo,
  type ClusterProfileInput,
  type ClusterProfileRecord,
} from '../../../shared/cluster'
import { AppError } from '../errors'
import type { EventBus } from '../events'
import type { Db } from '../store/database'
import type { TrainerChild } from '../training/launcher'
import { sbatchOptions, Slurm, terminalStates, type CommandRunner, runCommand } from './slurm'
import { slurmChild } from './slurm-child'

interface ProfileRow {
  id: string
  name: string
  profile_json: string
  check_json: string | null
  created_at: number
}

/** What the cluster service needs from the run store. */
export interface RunTargets {
  writeTarget(runId: string, target: (ClusterJobInfo & { offset: number }) | null): void
}

export class ClusterService {
  constructor(
    private readonly db: Db,
    private readonly runs: RunTargets,
    private readonly events: EventBus,
    private readonly run: CommandRunner = runCommand,
    /** How often a job folder and the queue are read (tests make it quicker). */
    private readonly pollMs = 500,
  ) {}

  list(): ClusterProfileRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM cluster_profiles WHERE deleted_at IS NULL ORDER BY created_at')
        .all() as ProfileRow[]
    ).map(toRecord)
  }

  get(id: string): ClusterProfileRecord {
    const row = this.db.prepare('SELECT * FROM cluster_profiles WHERE id = ? AND deleted_at IS NULL').get(id) as
      ProfileRow | undefined
    if (!row) throw new AppError('NOT_FOUND', `No cluster profile ${id}; it may have been deleted`)
    return toRecord(row)
  }

  /** Creates a profile, or replaces one's settings (its last check then no longer applies). */
  save(input: ClusterProfileInput, id?: string): ClusterProfileRecord {
    const parsed = clusterProfileSchema.safeParse(input)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      throw new AppError(
        'INVALID_ARGUMENT',
        `${issue.path.join('.') || 'profile'}: ${issue.message}`,
        issue.path.join('.'),
      )
    }
    const profile = parsed.data
    const clash = this.list().find((p) => p.profile.name === profile.name && p.id !== id)
    if (clash) throw new AppError('INVALID_ARGUMENT', `There is already a cluster called “${profile.name}”`, 'name')
    if (id) {
      this.get(id)
      this.db
        .prepare('UPDATE cluster_profiles SET name = ?, profile_json = ?, check_json = NULL WHERE id = ?')
        .run(profile.name, JSON.stringify(profile), id)
      return this.get(id)
    }
    const newId = randomUUID()
    this.db
      .prepare('INSERT INTO cluster_profiles (id, name, profile_json, created_at) VALUES (?, ?, ?, ?)')
      .run(newId, profile.name, JSON.stringify(profile), Date.now())
    return this.get(newId)
  }

  delete(id: string): { id: string } {
    this.get(id)
    this.db.prepare('UPDATE cluster_profiles SET deleted_at = ? WHERE id = ?').run(Date.now(), id)
    return { id }
  }

  /**
   * The test submission: a one-line job that starts ModelBench on a node with `worker --check`, which
   * writes into the shared folder. It passes when Slurm ran it and the app sees what the node wrote.
   */
  async check(id: string, timeoutMs = 180_000): Promise<ClusterProfileRecord> {
    const { profile } = this.get(id)
    const slurm = new Slurm(profile, this.run)
    const dir = join(profile.sharedDir, 'modelbench-jobs', `check-${Date.now()}`)
    let result: { ok: boolean; message: string }
    try {
      mkdirSync(dir, { recursive: true })
      const log = join(dir, 'slurm.log')
      const script = join(dir, 'check.sbatch')
      writeFileSync(
        script,
        [
          '#!/bin/bash',
          ...sbatchOptions({ ...profile, timeLimitMinutes: 5 }, 'modelbench-check', log),
          `${profile.command} worker --check ${JSON.stringify(dir)}`,
          '',
        ].join('\n'),
      )
      const jobId = await slurm.submit(script)
      const deadline = Date.now() + timeoutMs
      let state = await slurm.state(jobId)
      while (!state || !terminalStates.has(state.state)) {
        if (Date.now() > deadline) {
          await slurm.cancel(jobId).catch(() => undefined)
          throw new Error(
            `the test job ${jobId} did not finish within ${Math.round(timeoutMs / 1000)} s (Slurm says ${state?.state ?? 'nothing'}${state?.reason ? `: ${state.reason}` : ''})`,
          )
        }
        await new Promise((r) => setTimeout(r, 1000))
        state = await slurm.state(jobId)
      }
      const answer = join(dir, 'check.json')
      if (state.state !== 'COMPLETED' || !existsSync(answer)) {
        const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' / ') : 'no log'
        throw new Error(
          `the test job ${jobId} ended ${state.state}${state.reason ? ` (${state.reason})` : ''} without the node writing to ${dir}: ${tail}`,
        )
      }
      const found = JSON.parse(readFileSync(answer, 'utf8')) as { version: string; host: string; engine: string }
      result = {
        ok: true,
        message: `Job ${jobId} ran ModelBench ${found.version} on ${found.host} (engine ${found.engine}), and this computer read what it wrote in the shared folder`,
      }
    } catch (err) {
      result = { ok: false, message: err instanceof Error ? err.message : String(err) }
    }
    this.db
      .prepare('UPDATE cluster_profiles SET check_json = ? WHERE id = ?')
      .run(JSON.stringify({ at: Date.now(), ...result }), id)
    this.events.emit('clusters.changed', { profileId: id })
    return this.get(id)
  }

  /** A profile a run may train on: it exists and its last test submission passed. */
  usable(id: string): ClusterProfileRecord {
    const record = this.get(id)
    if (!record.check?.ok)
      throw new AppError(
        'INVALID_STATE',
        `The cluster “${record.profile.name}” has not passed its test submission yet: check it on the Engine page first`,
        'target',
      )
    return record
  }

  /** The trainer of a run on this cluster: a new job, or (known) the job it already has. */
  trainer(
    runId: string,
    profileId: string,
    known?: { info: ClusterJobInfo; offset: number; checkpointDir: string },
  ): TrainerChild {
    const { profile } = this.get(profileId)
    let lastSaid = ''
    return slurmChild(
      {
        profileId,
        profile,
        slurm: new Slurm(profile, this.run),
        pollMs: this.pollMs,
        onJob: (info) => {
          // The read offset moves with every batch read: recorded (a restart follows on from it), but the
          // event, which makes the sweep view reload, only goes out when what Slurm says changes.
          this.runs.writeTarget(runId, info)
          const said = JSON.stringify([info.jobId, info.state, info.reason, info.node, info.attempts])
          if (said === lastSaid) return
          lastSaid = said
          this.events.emit('clusters.jobChanged', { runId, state: info.state, reason: info.reason, node: info.node })
        },
      },
      known,
    )
  }

  /** Slurm for a profile (the sweep service cancels and lists jobs with it). */
  slurm(profileId: string): Slurm {
    return new Slurm(this.get(profileId).profile, this.run)
  }
}

function toRecord(row: ProfileRow): ClusterProfileRecord {
  return {
    id: row.id,
    profile: clusterProfileSchema.parse(JSON.parse(row.profile_json)),
    check: row.check_json ? (JSON.parse(row.check_json) as ClusterProfileRecord['check']) : null,
    createdAt: row.created_at,
  }
}
