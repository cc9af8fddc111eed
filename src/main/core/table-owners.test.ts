/**
 * One owner per table: every SQL statement in the main process names only tables its own module owns.
 * A service that needs another's rows asks that service (datasets for samples and columns, the run
 * store for runs). The schema itself (store/) is exempt. Reads the source, so a new query that reaches
 * into another service's table fails here with the file and the table.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { migrations } from './store/migrations'

const mainDir = join(__dirname, '..')

/** Table → the files (or folders, ending in /) allowed to query it, relative to src/main. */
const owners: Record<string, string[]> = {
  runs: ['core/training/run-records.ts'],
  metrics: ['core/training/run-records.ts'],
  latest_metrics: ['core/training/run-records.ts'],
  evaluations: ['core/training/run-records.ts'],
  predictions: ['core/training/run-records.ts'],
  artifacts: ['core/training/run-records.ts'],
  datasets: ['core/datasets/'],
  dataset_versions: ['core/datasets/'],
  dataset_version_samples: ['core/datasets/'],
  samples: ['core/datasets/'],
  classes: ['core/datasets/'],
  imports: ['core/datasets/'],
  import_issues: ['core/datasets/'],
  sweeps: ['core/sweeps/sweep-service.ts'],
  sweep_trials: ['core/sweeps/sweep-service.ts'],
  exports: ['core/export/export-service.ts'],
  projects: ['core/projects.ts'],
  settings: ['core/projects.ts'],
  architectures: ['core/architectures.ts'],
  cluster_profiles: ['core/cluster/cluster-service.ts'],
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return e.name === 'test-support' ? [] : sourceFiles(path)
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : []
  })
}

/** The tables a file's SQL names: words after FROM, JOIN, INTO, UPDATE or TABLE inside string literals. */
export function tablesNamed(source: string, known: ReadonlySet<string>): Set<string> {
  const found = new Set<string>()
  for (const literal of source.match(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g) ?? []) {
    for (const m of literal.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+([a-z_]+)/g))
      if (known.has(m[1]!)) found.add(m[1]!)
  }
  return found
}

describe('table ownership', () => {
  const schema = migrations.map((m) => m.sql).join('\n')
  const tables = new Set(
    [...schema.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)/g)]
      .map((m) => m[1]!)
      .filter((t) => t !== 'schema_migrations'),
  )

  it('gives every table of the schema an owner', () => {
    expect([...tables].filter((t) => !(t in owners))).toEqual([])
  })

  it('finds a table named in a query, and not one outside SQL keywords', () => {
    expect([...tablesNamed("db.prepare('SELECT name FROM runs WHERE id = ?')", tables)]).toEqual(['runs'])
    expect([...tablesNamed('const runs = 1 // FROM runs', tables)]).toEqual([])
  })

  it('lets each file query only the tables it owns', () => {
    const trespass: string[] = []
    for (const file of sourceFiles(mainDir)) {
      const rel = relative(mainDir, file).split('\\').join('/')
      if (rel.startsWith('core/store/')) continue
      for (const table of tablesNamed(readFileSync(file, 'utf8'), tables)) {
        const allowed = owners[table] ?? []
        if (!allowed.some((o) => (o.endsWith('/') ? rel.startsWith(o) : rel === o)))
          trespass.push(`${rel} queries ${table} (owned by ${allowed.join(', ')})`)
      }
    }
    expect(trespass).toEqual([])
  })
})
