/**
 * Slurm's own commands, run as a user would run them: `sbatch` to submit, `squeue` and `scontrol` (or
 * `sacct` where the cluster keeps accounting) for a job's state and reason, `scancel` to cancel — locally,
 * or on a login node over ssh. Slurm does the placing, queuing, GPU allocation and cancelling.
 */
import { execFile } from 'node:child_process'
import type { ClusterProfile } from '../../../shared/cluster'

export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs one command (argv, no shell) and resolves with its exit code and output; never rejects. */
export type CommandRunner = (argv: string[], options?: { timeoutMs?: number }) => Promise<CommandResult>

export const runCommand: CommandRunner = (argv, options = {}) =>
  new Promise((resolve) => {
    execFile(
      argv[0]!,
      argv.slice(1),
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 4 << 20 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 127
          : 0
        resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === 127 ? err.message : '') })
      },
    )
  })

/** A job's state as Slurm reports it. `state` is Slurm's word (PENDING, RUNNING, COMPLETED, TIMEOUT…). */
export interface JobState {
  state: string
  /** Why it waits or why it ended (Slurm's reason: Priority, Resources, TimeLimit, None…). */
  reason: string | null
  node: string | null
  exitCode: string | null
}

export const terminalStates = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'PREEMPTED',
  'OUT_OF_MEMORY',
  'BOOT_FAIL',
  'DEADLINE',
])

/** States after which Slurm's job ended through no fault of the run: it is submitted again from its checkpoint. */
export const requeueStates = new Set(['TIMEOUT', 'NODE_FAIL', 'PREEMPTED'])

/** Quotes one word for the remote shell ssh hands it to. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

export class Slurm {
  constructor(
    private readonly profile: Pick<ClusterProfile, 'access'>,
    private readonly run: CommandRunner = runCommand,
  ) {}

  /** The command line as it runs: as is here, or through ssh on the login node. */
  private argv(args: string[]): string[] {
    const access = this.profile.access
    if (access.kind === 'local') return args
    return ['ssh', '-o', 'BatchMode=yes', access.host, args.map(shellWord).join(' ')]
  }

  private async exec(args: string[], timeoutMs?: number): Promise<CommandResult> {
    return this.run(this.argv(args), timeoutMs ? { timeoutMs } : {})
  }

  /** Submits a batch script (a file in the shared folder); returns the job id. */
  async submit(script: string): Promise<string> {
    const r = await this.exec(['sbatch', '--parsable', script], 60_000)
    const id = r.stdout.trim().split(';')[0]
    if (r.code !== 0 || !id || !/^\d+$/.test(id))
      throw new Error(`sbatch failed: ${(r.stderr || r.stdout).trim().split('\n').at(-1) || `exit code ${r.code}`}`)
    return id
  }

  /** The job's state: squeue while it is known there, then scontrol, then sacct; null when none knows it. */
  async state(jobId: string): Promise<JobState | null> {
    const q = await this.exec(['squeue', '-h', '-j', jobId, '-o', '%T|%r|%N'])
    const line = q.code === 0 ? q.stdout.trim().split('\n')[0] : undefined
    if (line) {
      const [state, reason, node] = line.split('|')
      return { state: state!, reason: clean(reason), node: clean(node), exitCode: null }
    }
    const c = await this.exec(['scontrol', 'show', 'job', '-o', jobId])
    if (c.code === 0 && c.stdout.includes('JobState=')) {
      const field = (k: string): string | null => clean(new RegExp(`\\b${k}=(\\S+)`).exec(c.stdout)?.[1])
      return {
        state: field('JobState') ?? 'UNKNOWN',
        reason: field('Reason'),
        node: field('NodeList'),
        exitCode: field('ExitCode'),
      }
    }
    const a = await this.exec(['sacct', '-n', '-P', '-X', '-j', jobId, '-o', 'State,Reason,NodeList,ExitCode'])
    const row = a.code === 0 ? a.stdout.trim().split('\n')[0] : undefined
    if (row) {
      const [state, reason, node, exitCode] = row.split('|')
      // sacct writes "CANCELLED by 0": the word is the state.
      return { state: state!.split(' ')[0]!, reason: clean(reason), node: clean(node), exitCode: clean(exitCode) }
    }
    return null
  }

  async cancel(jobId: string): Promise<void> {
    const r = await this.exec(['scancel', jobId])
    if (r.code !== 0)
      throw new Error(`scancel ${jobId} failed: ${(r.stderr || r.stdout).trim() || `exit code ${r.code}`}`)
  }
}

function clean(s: string | undefined): string | null {
  if (!s || s === '(null)' || s === 'None' || s === 'N/A' || s === '(None)') return null
  return s
}

/** The `#SBATCH` lines a profile asks for. */
export function sbatchOptions(profile: ClusterProfile, name: string, log: string): string[] {
  const lines = [`--job-name=${name}`, `--output=${log}`, '--open-mode=append', '--requeue']
  if (profile.partition) lines.push(`--partition=${profile.partition}`)
  if (profile.account) lines.push(`--account=${profile.account}`)
  if (profile.qos) lines.push(`--qos=${profile.qos}`)
  if (profile.timeLimitMinutes) lines.push(`--time=${profile.timeLimitMinutes}`)
  if (profile.cpus) lines.push(`--cpus-per-task=${profile.cpus}`)
  if (profile.memoryGiB) lines.push(`--mem=${profile.memoryGiB}G`)
  if (profile.gpus) lines.push(profile.gpuFlag === 'gres' ? `--gres=gpu:${profile.gpus}` : `--gpus=${profile.gpus}`)
  return lines.map((l) => `#SBATCH ${l}`)
}
