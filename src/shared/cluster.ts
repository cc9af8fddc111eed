/**
 * Where a run trains: "This computer", or a Slurm cluster profile — how to reach Slurm's commands (here,
 * or over ssh on a login node), what to ask it for (partition, account, QoS, time, CPUs, memory, GPUs),
 * the folder both sides see, and the command that starts ModelBench on a node.
 */
import { z } from 'zod'

export const clusterProfileSchema = z
  .object({
    name: z.string().trim().min(1, 'give the cluster a name').max(80),
    access: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('local') }).strict(),
      z
        .object({
          kind: z.literal('ssh'),
          host: z
            .string()
            .trim()
            .regex(/^[\w.@-]+$/, 'a login node like user@login.cluster.edu'),
        })
        .strict(),
    ]),
    partition: z.string().trim().max(80).optional(),
    account: z.string().trim().max(80).optional(),
    qos: z.string().trim().max(80).optional(),
    /** Slurm's --time, in minutes. */
    timeLimitMinutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 30)
      .optional(),
    cpus: z.number().int().min(1).max(512).optional(),
    memoryGiB: z.number().int().min(1).max(4096).optional(),
    gpus: z.number().int().min(0).max(64).optional(),
    /** How GPUs are asked for: --gpus=N (newer clusters) or --gres=gpu:N. */
    gpuFlag: z.enum(['gpus', 'gres']).default('gpus'),
    /** An absolute folder both this computer and the nodes see (job folders are made inside it). */
    sharedDir: z.string().trim().startsWith('/', 'an absolute path, seen the same way on the nodes'),
    /** What starts ModelBench on a node, e.g. "modelbench" or "node /opt/modelbench/bin/modelbench.mjs". */
    command: z.string().trim().min(1, 'the command that starts ModelBench on a node'),
  })
  .strict()

export type ClusterProfileInput = z.input<typeof clusterProfileSchema>
export type ClusterProfile = z.infer<typeof clusterProfileSchema>

export interface ClusterProfileRecord {
  id: string
  profile: ClusterProfile
  /** The last test submission: when, whether it worked, and what Slurm or the node said. */
  check: { at: number; ok: boolean; message: string } | null
  createdAt: number
}

/** What a run on a cluster records about its job. */
export interface ClusterJobInfo {
  profileId: string
  profileName: string
  jobId: string | null
  /** Slurm's state (PENDING, RUNNING, COMPLETED, CANCELLED, TIMEOUT…) and its reason, the node it ran on. */
  state: string | null
  reason: string | null
  node: string | null
  /** How many times it was submitted (a time limit or a node failure submits it again from its checkpoint). */
  attempts: number
  /** The job folder in the shared folder, and Slurm's log in it. */
  jobDir: string
  log: string
}
