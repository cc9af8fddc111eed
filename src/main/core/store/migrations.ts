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
]
