/**
 * The Clusters page: Slurm cluster profiles a run, cross-validation or sweep can train on instead of this
 * computer — how to reach Slurm (here, or over ssh on a login node), what to ask it for, the folder both
 * sides see and the command that starts ModelBench on a node — each checked with a test submission before
 * the Train page offers it.
 */
import { useCallback, useEffect, useState } from 'react'
import type { ClusterProfileInput, ClusterProfileRecord } from '../../../shared/cluster'
import { messageOf } from '../../../shared/messages'
import { api } from '../api'
import { useApiEvent } from '../useApiEvent'

const emptyForm = {
  name: '',
  access: 'local' as 'local' | 'ssh',
  host: '',
  partition: '',
  account: '',
  qos: '',
  timeLimitMinutes: '',
  cpus: '',
  memoryGiB: '',
  gpus: '',
  gpuFlag: 'gpus' as 'gpus' | 'gres',
  sharedDir: '',
  command: 'modelbench',
}
type Form = typeof emptyForm

function toInput(f: Form): ClusterProfileInput {
  const text = (v: string): string | undefined => (v.trim() ? v.trim() : undefined)
  const whole = (v: string): number | undefined => (v.trim() ? Number(v) : undefined)
  const fields = {
    partition: text(f.partition),
    account: text(f.account),
    qos: text(f.qos),
    timeLimitMinutes: whole(f.timeLimitMinutes),
    cpus: whole(f.cpus),
    memoryGiB: whole(f.memoryGiB),
    gpus: whole(f.gpus),
  }
  return {
    name: f.name,
    access: f.access === 'ssh' ? { kind: 'ssh', host: f.host } : { kind: 'local' },
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
    gpuFlag: f.gpuFlag,
    sharedDir: f.sharedDir,
    command: f.command,
  }
}

function toForm(r: ClusterProfileRecord): Form {
  const p = r.profile
  const s = (v: string | number | undefined): string => (v === undefined ? '' : String(v))
  return {
    name: p.name,
    access: p.access.kind,
    host: p.access.kind === 'ssh' ? p.access.host : '',
    partition: s(p.partition),
    account: s(p.account),
    qos: s(p.qos),
    timeLimitMinutes: s(p.timeLimitMinutes),
    cpus: s(p.cpus),
    memoryGiB: s(p.memoryGiB),
    gpus: s(p.gpus),
    gpuFlag: p.gpuFlag,
    sharedDir: p.sharedDir,
    command: p.command,
  }
}

export function ClustersPage(): React.JSX.Element {
  const [profiles, setProfiles] = useState<ClusterProfileRecord[] | null>(null)
  const [editing, setEditing] = useState<{ id: string | null; form: Form } | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [checking, setChecking] = useState<string | null>(null)

  const load = useCallback(() => {
    api.call('clusters.list', {}).then(setProfiles, (err: unknown) => setError(messageOf(err)))
  }, [])
  useEffect(load, [load])
  useApiEvent('clusters.changed', load)

  const check = (id: string): void => {
    setChecking(id)
    api.call('clusters.check', { id }).then(
      () => {
        setChecking(null)
        load()
      },
      (err: unknown) => {
        setChecking(null)
        setError(messageOf(err))
      },
    )
  }

  const save = (): void => {
    if (!editing) return
    api.call('clusters.save', { ...(editing.id ? { id: editing.id } : {}), profile: toInput(editing.form) }).then(
      (saved) => {
        setEditing(null)
        setError(null)
        load()
        // A new or changed profile is tested at once: the Train page offers it only once it passed.
        check(saved.id)
      },
      (err: unknown) => setError(messageOf(err)),
    )
  }

  return (
    <section className="page" data-testid="page-clusters">
      <header className="page-header row-between">
        <div>
          <h1>Clusters</h1>
          <p className="muted">
            Train runs and sweeps on a Slurm cluster instead of this computer: Slurm queues them and gives them its
            GPUs; everything is recorded here as usual.
          </p>
        </div>
        {!editing && (
          <button
            className="button primary"
            onClick={() => setEditing({ id: null, form: emptyForm })}
            data-testid="cluster-add"
          >
            Add a Slurm cluster
          </button>
        )}
      </header>
      {error && (
        <p className="banner error" role="alert" data-testid="cluster-error">
          {error}
        </p>
      )}
      {editing && (
        <ProfileForm
          form={editing.form}
          isNew={editing.id === null}
          onChange={(form) => setEditing({ ...editing, form })}
          onSave={save}
          onCancel={() => setEditing(null)}
        />
      )}
      {profiles === null ? (
        <p className="muted">Loading…</p>
      ) : profiles.length === 0 && !editing ? (
        <div className="card empty-state" data-testid="clusters-empty">
          <h2>No cluster yet</h2>
          <p>
            Runs train on this computer. To send them to a Slurm cluster, add it: you need a folder that both this
            computer and the cluster’s nodes see (a shared file system), and ModelBench installed on the nodes.
          </p>
        </div>
      ) : (
        profiles.map((p) => (
          <div className="card" key={p.id} data-testid="cluster-card">
            <div className="row-between">
              <h2>{p.profile.name}</h2>
              <div className="row">
                <button className="button" onClick={() => check(p.id)} disabled={checking !== null}>
                  {checking === p.id ? 'Submitting a test job…' : 'Test again'}
                </button>
                <button className="button" onClick={() => setEditing({ id: p.id, form: toForm(p) })}>
                  Edit
                </button>
                <button
                  className="button danger"
                  onClick={() => void api.call('clusters.delete', { id: p.id }).then(load, setError)}
                >
                  Delete
                </button>
              </div>
            </div>
            <p className="muted small">
              {p.profile.access.kind === 'local'
                ? 'Slurm commands on this computer'
                : `over ssh on ${p.profile.access.host}`}
              {p.profile.partition ? ` · partition ${p.profile.partition}` : ''}
              {p.profile.gpus ? ` · ${p.profile.gpus} GPU${p.profile.gpus === 1 ? '' : 's'} a job` : ''}
              {p.profile.timeLimitMinutes ? ` · ${p.profile.timeLimitMinutes} min a job` : ''} · shared folder{' '}
              {p.profile.sharedDir}
            </p>
            <p
              className={`banner ${p.check?.ok ? 'ok' : p.check ? 'error' : 'warning'}`}
              role="status"
              data-testid="cluster-check"
            >
              {checking === p.id
                ? 'Submitting a test job and waiting for Slurm to run it…'
                : p.check
                  ? `${p.check.ok ? 'Ready: ' : 'Test failed: '}${p.check.message}`
                  : 'Not tested yet: the Train page offers this cluster once a test job has run.'}
            </p>
          </div>
        ))
      )}
    </section>
  )
}

function ProfileForm({
  form,
  isNew,
  onChange,
  onSave,
  onCancel,
}: {
  form: Form
  isNew: boolean
  onChange: (f: Form) => void
  onSave: () => void
  onCancel: () => void
}): React.JSX.Element {
  const field = (key: keyof Form, label: string, hint?: string, type = 'text'): React.JSX.Element => (
    <label>
      {label}
      <input
        type={type}
        value={form[key]}
        min={type === 'number' ? 0 : undefined}
        placeholder={hint}
        onChange={(e) => onChange({ ...form, [key]: e.target.value })}
        data-testid={`cluster-${key}`}
      />
    </label>
  )
  return (
    <form
      className="card"
      data-testid="cluster-form"
      onSubmit={(e) => {
        e.preventDefault()
        onSave()
      }}
    >
      <h2>{isNew ? 'Add a Slurm cluster' : 'Edit the cluster'}</h2>
      <div className="form-grid">
        {field('name', 'Name', 'e.g. Lab GPUs')}
        <label>
          Slurm’s commands
          <select
            value={form.access}
            onChange={(e) => onChange({ ...form, access: e.target.value as Form['access'] })}
            data-testid="cluster-access"
          >
            <option value="local">on this computer (sbatch, squeue… are here)</option>
            <option value="ssh">over ssh on a login node</option>
          </select>
        </label>
        {form.access === 'ssh' && field('host', 'Login node', 'user@login.cluster.edu (a key, no password)')}
        {field('sharedDir', 'Shared folder', 'a folder this computer and the nodes both see, e.g. /shared/me')}
        {field('command', 'ModelBench on a node', 'e.g. modelbench, or node /opt/modelbench/bin/modelbench.mjs')}
        {field('partition', 'Partition (optional)', 'the default partition')}
        {field('account', 'Account (optional)')}
        {field('qos', 'QoS (optional)')}
        {field('timeLimitMinutes', 'Time limit per job, minutes (optional)', 'the partition’s', 'number')}
        {field('cpus', 'CPUs per job (optional)', '1', 'number')}
        {field('memoryGiB', 'Memory per job, GiB (optional)', 'the partition’s', 'number')}
        {field('gpus', 'GPUs per job (optional)', 'none', 'number')}
        <label>
          How GPUs are asked for
          <select
            value={form.gpuFlag}
            onChange={(e) => onChange({ ...form, gpuFlag: e.target.value as Form['gpuFlag'] })}
          >
            <option value="gpus">--gpus=N</option>
            <option value="gres">--gres=gpu:N</option>
          </select>
        </label>
      </div>
      <p className="muted small">
        Saving submits a small test job: it starts ModelBench on a node and writes into the shared folder. A run whose
        job hits the time limit is submitted again and continues from its last checkpoint.
      </p>
      <div className="row">
        <button type="submit" className="button primary" data-testid="cluster-save">
          Save and test
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
