/**
 * Numbered schema migrations. Each is applied once, in its own transaction, and recorded with the
 * SHA-256 of its SQL. Never edit an applied migration: add a new one. The store refuses a database whose
 * recorded hash differs from the one here, or which has migrations this app does not know.
 */

export interface Migration {
  id: number
  name: string
  sql: string
}

export const migrations: readonly Migration[] = [
  {
    id: 1,
    name: 'projects',
    sql: `
CREATE TABLE projects (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  description TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  opened_at   INTEGER,
  deleted_at  INTEGER
) STRICT;
CREATE UNIQUE INDEX projects_active_name ON projects (lower(name)) WHERE deleted_at IS NULL;
`,
  },
  {
    id: 2,
    name: 'datasets',
    sql: `
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- One dataset per project: its kind is fixed by the first import.
CREATE TABLE datasets (
  id                TEXT PRIMARY KEY,
  project_id        TEXT NOT NULL UNIQUE REFERENCES projects (id),
  kind              TEXT NOT NULL CHECK (kind IN ('image', 'table')),
  task              TEXT NOT NULL DEFAULT 'classification' CHECK (task IN ('classification', 'regression')),
  target_column     TEXT,
  columns_json      TEXT,
  split_json        TEXT,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
) STRICT;

CREATE TABLE classes (
  id          INTEGER PRIMARY KEY,
  dataset_id  TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  color       TEXT NOT NULL,
  position    INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX classes_name ON classes (dataset_id, lower(name));

CREATE TABLE imports (
  id           TEXT PRIMARY KEY,
  dataset_id   TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  source       TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('images', 'table')),
  status       TEXT NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed', 'interrupted')),
  total        INTEGER NOT NULL DEFAULT 0,
  processed    INTEGER NOT NULL DEFAULT 0,
  imported     INTEGER NOT NULL DEFAULT 0,
  duplicates   INTEGER NOT NULL DEFAULT 0,
  skipped      INTEGER NOT NULL DEFAULT 0,
  error        TEXT,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER
) STRICT;

CREATE TABLE import_issues (
  id          INTEGER PRIMARY KEY,
  import_id   TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  kind        TEXT NOT NULL CHECK (kind IN ('skipped', 'duplicate', 'warning')),
  path        TEXT NOT NULL,
  -- For duplicates: the sample already holding the same content.
  sample_id   INTEGER,
  row_number  INTEGER,
  reason      TEXT NOT NULL
) STRICT;
CREATE INDEX import_issues_by_import ON import_issues (import_id, id);
CREATE INDEX import_issues_by_sample ON import_issues (sample_id) WHERE sample_id IS NOT NULL;

CREATE TABLE samples (
  id             INTEGER PRIMARY KEY,
  dataset_id     TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  content_hash   TEXT NOT NULL,
  original_name  TEXT NOT NULL,
  byte_size      INTEGER,
  width          INTEGER,
  height         INTEGER,
  format         TEXT,
  values_json    TEXT,
  target_value   REAL,
  class_id       INTEGER REFERENCES classes (id) ON DELETE SET NULL,
  split          TEXT CHECK (split IN ('train', 'validation', 'test')),
  split_fixed    INTEGER NOT NULL DEFAULT 0 CHECK (split_fixed IN (0, 1)),
  import_id      TEXT NOT NULL REFERENCES imports (id),
  created_at     INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX samples_content ON samples (dataset_id, content_hash);
CREATE INDEX samples_by_class ON samples (dataset_id, class_id, id);
CREATE INDEX samples_by_split ON samples (dataset_id, split, id);

-- An immutable snapshot of sample -> label -> split, identified by the hash of its contents.
CREATE TABLE dataset_versions (
  id            TEXT PRIMARY KEY,
  dataset_id    TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  number        INTEGER NOT NULL,
  hash          TEXT NOT NULL,
  class_names   TEXT NOT NULL,
  counts_json   TEXT NOT NULL,
  sample_count  INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  UNIQUE (dataset_id, number),
  UNIQUE (dataset_id, hash)
) STRICT;

CREATE TABLE dataset_version_samples (
  version_id    TEXT NOT NULL REFERENCES dataset_versions (id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  sample_id     INTEGER NOT NULL REFERENCES samples (id),
  class_index   INTEGER,
  target_value  REAL,
  split         TEXT NOT NULL CHECK (split IN ('train', 'validation', 'test')),
  PRIMARY KEY (version_id, position)
) STRICT, WITHOUT ROWID;
`,
  },
  {
    id: 3,
    name: 'runs',
    sql: `
CREATE TABLE runs (
  id                    TEXT PRIMARY KEY,
  project_id            TEXT NOT NULL REFERENCES projects (id),
  dataset_version_id    TEXT NOT NULL REFERENCES dataset_versions (id),
  name                  TEXT NOT NULL,
  -- Immutable once the run exists: the exact model, settings and seed it trains with.
  spec_json             TEXT NOT NULL,
  hyperparameters_json  TEXT NOT NULL,
  seed                  INTEGER NOT NULL,
  engine_json           TEXT,
  status                TEXT NOT NULL CHECK (status IN ('queued', 'running', 'paused', 'completed', 'stopped', 'failed', 'interrupted')),
  status_reason         TEXT,
  epochs_done           INTEGER NOT NULL DEFAULT 0,
  parent_run_id         TEXT REFERENCES runs (id),
  created_at            INTEGER NOT NULL,
  started_at            INTEGER,
  finished_at           INTEGER,
  deleted_at            INTEGER
) STRICT;
CREATE INDEX runs_by_project ON runs (project_id, created_at);

-- Append-only. NaN is stored as is_nan = 1 with value NULL.
CREATE TABLE metrics (
  run_id     TEXT NOT NULL REFERENCES runs (id),
  key        TEXT NOT NULL,
  step       INTEGER NOT NULL,
  epoch      INTEGER NOT NULL,
  value      REAL,
  is_nan     INTEGER NOT NULL DEFAULT 0 CHECK (is_nan IN (0, 1)),
  wall_time  INTEGER NOT NULL
) STRICT;
CREATE INDEX metrics_by_run ON metrics (run_id, key, step);

CREATE TABLE latest_metrics (
  run_id     TEXT NOT NULL REFERENCES runs (id),
  key        TEXT NOT NULL,
  step       INTEGER NOT NULL,
  epoch      INTEGER NOT NULL,
  value      REAL,
  is_nan     INTEGER NOT NULL DEFAULT 0 CHECK (is_nan IN (0, 1)),
  wall_time  INTEGER NOT NULL,
  PRIMARY KEY (run_id, key)
) STRICT;

CREATE TABLE evaluations (
  run_id        TEXT NOT NULL REFERENCES runs (id),
  split         TEXT NOT NULL CHECK (split IN ('validation', 'test')),
  metrics_json  TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (run_id, split)
) STRICT;

CREATE TABLE predictions (
  run_id           TEXT NOT NULL REFERENCES runs (id),
  split            TEXT NOT NULL CHECK (split IN ('validation', 'test')),
  sample_id        INTEGER NOT NULL REFERENCES samples (id),
  true_index       INTEGER,
  predicted_index  INTEGER,
  confidence       REAL,
  probabilities    TEXT,
  true_value       REAL,
  predicted_value  REAL,
  PRIMARY KEY (run_id, split, sample_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE artifacts (
  id          TEXT PRIMARY KEY,
  run_id      TEXT NOT NULL REFERENCES runs (id),
  kind        TEXT NOT NULL CHECK (kind IN ('checkpoint', 'export')),
  epoch       INTEGER,
  path        TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  bytes       INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX artifacts_by_run ON artifacts (run_id, kind, epoch);
`,
  },
  {
    id: 4,
    name: 'architectures',
    sql: `
-- 1 for grey images, 3 for colour (alpha dropped); NULL for rows imported before this column existed.
ALTER TABLE samples ADD COLUMN channels INTEGER;

CREATE TABLE architectures (
  id          TEXT PRIMARY KEY,
  project_id  TEXT NOT NULL REFERENCES projects (id),
  name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  version     INTEGER NOT NULL,
  spec_json   TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  deleted_at  INTEGER
) STRICT;
CREATE UNIQUE INDEX architectures_version ON architectures (project_id, lower(name), version);
`,
  },
  {
    id: 5,
    name: 'run notes',
    sql: `
-- What a person writes about a run; unlike its settings, these can change.
ALTER TABLE runs ADD COLUMN tags_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
`,
  },
  {
    id: 6,
    name: 'checked predictions',
    sql: `
-- Set when someone has looked at a mistake in the error gallery and judged it.
ALTER TABLE predictions ADD COLUMN checked INTEGER NOT NULL DEFAULT 0 CHECK (checked IN (0, 1));
`,
  },
  {
    id: 7,
    name: 'cross-validation',
    sql: `
-- A cross-validation parent has folds = k; each of its children has fold = 0…k-1 and parent_run_id set.
ALTER TABLE runs ADD COLUMN folds INTEGER;
ALTER TABLE runs ADD COLUMN fold INTEGER;
`,
  },
  {
    id: 8,
    name: 'exports',
    sql: `
-- A run exported for deployment: where, in which formats, and what the independent check found.
-- status: running, verified (every format passed), unverified (a check failed), failed (no export written).
CREATE TABLE exports (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  dir TEXT NOT NULL,
  formats_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'verified', 'unverified', 'failed')),
  error TEXT,
  result_json TEXT,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX exports_project ON exports (project_id, created_at);
`,
  },
  {
    id: 9,
    name: 'sweeps',
    sql: `
-- A hyperparameter sweep: its space, strategy, objective, budget, pruning rule and seed, and its trials.
-- Each trial is an ordinary run (runs.sweep_id); sweep_trials says why it ended.
CREATE TABLE sweeps (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects (id),
  name TEXT NOT NULL,
  base_json TEXT NOT NULL,
  space_json TEXT NOT NULL,
  strategy TEXT NOT NULL CHECK (strategy IN ('grid', 'random', 'tpe')),
  objective_json TEXT NOT NULL,
  budget_json TEXT NOT NULL,
  pruning_json TEXT NOT NULL,
  seed INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'completed', 'stopped', 'failed')),
  status_reason TEXT,
  elapsed_ms INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
) STRICT;
CREATE INDEX sweeps_project ON sweeps (project_id, created_at);
CREATE TABLE sweep_trials (
  sweep_id TEXT NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  params_json TEXT NOT NULL,
  run_id TEXT REFERENCES runs (id),
  state TEXT NOT NULL CHECK (state IN ('running', 'completed', 'pruned', 'failed', 'stopped')),
  objective REAL,
  curve_json TEXT NOT NULL DEFAULT '[]',
  ended_reason TEXT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  PRIMARY KEY (sweep_id, number)
) STRICT;
ALTER TABLE runs ADD COLUMN sweep_id TEXT REFERENCES sweeps (id);
`,
  },
  {
    id: 10,
    name: 'metrics unique per run, key and step',
    sql: `
-- A resumed run replays the steps after its last checkpoint: the same (run, key, step) must be one row.
-- Earlier databases recorded such steps again; keep the first of each and make a repeat impossible.
DELETE FROM metrics WHERE rowid NOT IN (SELECT min(rowid) FROM metrics GROUP BY run_id, key, step);
DROP INDEX metrics_by_run;
CREATE UNIQUE INDEX metrics_by_run ON metrics (run_id, key, step);
`,
  },
  {
    id: 11,
    name: 'imports count what they passed over',
    sql: `
-- Hidden or system files and empty folders an image import ignored, and images it imported without a
-- class because they were outside every class folder: counted, so the summary says so (each one is also
-- a 'warning' row in import_issues, for the report).
ALTER TABLE imports ADD COLUMN hidden_ignored INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN empty_folders INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN unlabeled_loose INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    id: 12,
    name: 'slurm cluster profiles and runs on them',
    sql: `
CREATE TABLE cluster_profiles (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  profile_json TEXT NOT NULL,
  -- The last test submission: when, whether it passed, what Slurm or the node said.
  check_json   TEXT,
  created_at   INTEGER NOT NULL,
  deleted_at   INTEGER
) STRICT;
-- A run on a cluster: its profile, Slurm job id, state, reason, node, attempts, folder, and how far the app
-- has read the worker's messages (so a restarted app follows the same job on from there).
ALTER TABLE runs ADD COLUMN target_json TEXT;
`,
  },
]
