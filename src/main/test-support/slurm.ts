/**
 * The one-node Slurm cluster of these machines (scripts/slurm-local.sh starts it; .ci/run does so for CI),
 * as a cluster profile the tests submit to through the real sbatch. Its worker command runs ModelBench
 * from source (tsx), so the tests need no build; the shared folder is a temporary one (same machine).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClusterProfileInput } from '../../shared/cluster'

const root = fileURLToPath(new URL('../../../', import.meta.url))

/** The worker command from source: `<node> --import tsx src/main/cli-main.ts`, run in the repository. */
export const sourceCommand = `cd ${root} && ${process.execPath} --import tsx src/main/cli-main.ts`

/** Whether Slurm answers here; why not, when it does not. */
export function slurmHere(): { ok: true; partition: string } | { ok: false; why: string } {
  const r = spawnSync('sinfo', ['-h', '-o', '%P %T'], { encoding: 'utf8', timeout: 10_000 })
  if (r.error || r.status !== 0)
    return {
      ok: false,
      why: `sinfo failed (${r.error?.message ?? r.stderr.trim()}): start one with scripts/slurm-local.sh`,
    }
  const line = r.stdout
    .trim()
    .split('\n')
    .find((l) => /idle|mix|alloc/.test(l))
  if (!line) return { ok: false, why: `no node is up (sinfo: ${r.stdout.trim() || 'nothing'})` }
  return { ok: true, partition: line.split(' ')[0]!.replace(/\*$/, '') }
}

export function localProfile(overrides: Partial<ClusterProfileInput> = {}): ClusterProfileInput {
  return {
    name: 'This machine’s Slurm',
    access: { kind: 'local' },
    sharedDir: mkdtempSync(join(tmpdir(), 'modelbench-shared-')),
    command: sourceCommand,
    ...overrides,
  }
}
