/**
 * The Train page: choose the model and settings, start, and watch — progress with time left and
 * samples/s, the engine in use, live loss and accuracy — with pause, resume and stop. Coming back (or
 * reloading) reattaches to a run in progress. When a run ends it shows the result and the confusion matrix.
 */
import { useEffect, useReducer, useRef, useState } from 'react'
import type { Architecture, DatasetSummary, DatasetVersion, Project, ProjectDrafts } from '../../../../shared/contract'
import { backbones, backboneTimeEstimate, type BackboneInfo } from '../../../../shared/model/backbones'
import { backboneConfig } from '../../../../shared/model/registry'
import type { ModelSpec } from '../../../../shared/model/types'
import type { SweepDetail, TrialParams } from '../../../../shared/sweep'
import { applyTrialParams } from '../../../../shared/sweep-apply'
import {
  optimizerInfo,
  runInitializers,
  type ClassificationEvaluation,
  type Evaluation,
} from '../../../../shared/training'
import { api } from '../../api'
import { ConfusionMatrix } from '../../components/ConfusionMatrix'
import { activeStatuses, useRunStream } from './useRunStream'
import { cachedDrafts, loadDrafts, saveDraft } from '../../drafts'
import { draftFromSaved, modelProblem, suggestedTemplate, targetOf, toSpec } from '../model/stack-state'
import { restoreTrainForm, toHyperparameters, trainFormReducer, type TrainForm } from './train-form'
import { ImportDataFirst } from '../EmptyStates'
import { AugmentationPreview } from './AugmentationPreview'
import { SweepEditor } from './SweepEditor'
import { describeParams, SweepView } from './SweepView'
import { LiveChart, type Series } from '../../components/LiveChart'
import { capitalized, engineDetail, formatDuration, jobWords, percent } from '../../format'
import { useReadyClusters } from '../../useReadyClusters'
import { roundForPeople, versionName } from '../../../../shared/words'

interface Props {
  project: Project
  onError: (err: unknown) => void
}

/** An ETA: never "0 s" while work remains, "…" until there is a rate to estimate from. */
const formatEta = (seconds: number): string => (Number.isFinite(seconds) ? formatDuration(Math.max(1, seconds)) : '…')

export function TrainPage({ project, onError }: Props): React.JSX.Element {
  const [dataset, setDataset] = useState<DatasetSummary | null | undefined>(undefined)
  const [architectures, setArchitectures] = useState<Architecture[]>([])
  // The settings start as the user left them (kept per project by the core), else the defaults.
  const stream = useRunStream(project.id, onError)
  const { run, progress, evaluation, curves, foldInfo, preparing } = stream
  const [form, dispatch] = useReducer(trainFormReducer, undefined, () =>
    restoreTrainForm(cachedDrafts(project.id)?.train),
  )
  const [formReady, setFormReady] = useState(() => cachedDrafts(project.id) !== undefined)
  const [modelDraft, setModelDraft] = useState<ProjectDrafts['model'] | undefined>(
    () => cachedDrafts(project.id)?.model,
  )
  const { modelChoice, hp, seed, early, aug, initializer, folds, target: runOn } = form
  const clusters = useReadyClusters()
  const set = (patch: Partial<TrainForm>): void => dispatch({ type: 'set', patch })
  const [versions, setVersions] = useState<DatasetVersion[]>([])
  const [versionId, setVersionId] = useState('')
  const [starting, setStarting] = useState(false)
  const [sweepOpen, setSweepOpen] = useState(false)
  const [sweepId, setSweepId] = useState<string | null>(null)
  const [copied, setCopied] = useState<string | null>(null)
  const mainRef = useRef<HTMLDivElement>(null)

  useEffect(() => {
    if (formReady) return
    loadDrafts(project.id).then((d) => {
      dispatch({ type: 'restore', saved: d.train })
      setModelDraft(d.model)
      setFormReady(true)
    }, onError)
  }, [project.id, formReady, onError])
  useEffect(() => {
    if (formReady) saveDraft(project.id, { train: form })
  }, [formReady, project.id, form])

  // The model on the Model page, or (before the user has been there) the template that suits the data.
  const target = dataset ? targetOf(dataset) : null
  const keptDraft = draftFromSaved(modelDraft)
  const suggested = target && !keptDraft ? suggestedTemplate(target) : null
  const draft: ModelSpec | null = keptDraft
    ? toSpec(keptDraft)
    : suggested && target
      ? toSpec(suggested.build(target))
      : null

  useEffect(() => {
    api.call('datasets.get', { projectId: project.id }).then((d) => {
      setDataset(d)
      if (d) api.call('datasets.listVersions', { datasetId: d.id }).then(setVersions, onError)
    }, onError)
    api.call('architectures.list', { projectId: project.id }).then(setArchitectures, onError)
    // Show the sweep in progress, or the latest one.
    api
      .call('sweeps.list', { projectId: project.id })
      .then((list) => setSweepId((list.find((s) => s.status === 'running') ?? list[0])?.id ?? null), onError)
  }, [project.id, onError])

  function chosenSpec(): ModelSpec | null {
    if (modelChoice === 'draft') return draft
    return architectures.find((a) => a.id === modelChoice)?.spec ?? null
  }

  /** "Use best settings": the sweep's base settings with the best trial's values, into this page and the Model page's draft. */
  function useBest(sweep: SweepDetail, params: TrialParams): void {
    const applied = applyTrialParams(sweep.base.spec, sweep.base.hyperparameters, params)
    dispatch({ type: 'useHyperparameters', hyperparameters: applied.hyperparameters })
    const best = { name: modelDraft?.name ?? 'My model', spec: applied.spec }
    saveDraft(project.id, { model: best })
    setModelDraft(best)
    setCopied(
      `Copied the best trial's settings (${describeParams(params)}) into the settings here and the model on the Model page.`,
    )
  }

  async function start(): Promise<void> {
    const spec = chosenSpec()
    if (!spec) {
      onError(new Error('Build a model on the Model page first'))
      return
    }
    const hyperparameters = toHyperparameters(form)
    setStarting(true)
    try {
      const input = {
        projectId: project.id,
        spec,
        hyperparameters,
        seed,
        ...(versionId ? { datasetVersionId: versionId } : {}),
        ...(runOn && clusters.some((c) => c.id === runOn) ? { target: runOn } : {}),
      }
      const r =
        folds > 1 ? await api.call('runs.crossValidate', { ...input, k: folds }) : await api.call('runs.start', input)
      stream.follow(r)
      // The progress appears at the top of the right-hand column: bring it into view if the user scrolled.
      requestAnimationFrame(() => mainRef.current?.scrollIntoView({ block: 'nearest' }))
    } catch (err) {
      onError(err)
    } finally {
      setStarting(false)
    }
  }

  const control = (method: 'runs.pause' | 'runs.resume' | 'runs.stop'): void => {
    if (run) api.call(method, { runId: run.id }).then(() => stream.refresh(), onError)
  }

  if (dataset === undefined) return <p className="muted">Loading…</p>
  if (dataset === null) {
    return (
      <ImportDataFirst
        title="Train"
        testId="page-train"
        text="Training needs labeled data: import some on the Data page, then build a model on the Model page."
      />
    )
  }

  const active = run !== null && activeStatuses.has(run.status)
  const chosen = chosenSpec()
  const problem = chosen && target ? modelProblem(chosen, target) : null
  const chosenBackbone = (() => {
    const spec = chosenSpec()
    try {
      return spec ? backboneConfig(spec) : null
    } catch {
      return null
    }
  })()
  const trainImages = dataset
    ? dataset.counts.reduce((sum, c) => sum + (c.classId === null ? 0 : c.train + c.validation), 0)
    : 0
  const p = progress
  const eta =
    p && p.samplesPerSecond > 0
      ? (((p.epochs - p.epoch) * p.batches + (p.batches - p.batch)) * hp.batchSize) / p.samplesPerSecond
      : Number.NaN
  const lossSeries: Series[] = [
    { label: 'loss (batch)', color: '#adb5bd', points: curves.batchLoss, markers: false },
    { label: 'loss (epoch)', color: '#4c6ef5', points: curves.loss, markers: true },
    { label: 'validation loss', color: '#f76707', points: curves.valLoss, markers: true },
  ]
  const accSeries: Series[] = [
    { label: 'accuracy (batch)', color: '#adb5bd', points: curves.batchAccuracy, markers: false },
    { label: 'accuracy (epoch)', color: '#4c6ef5', points: curves.accuracy, markers: true },
    { label: 'validation accuracy', color: '#f76707', points: curves.valAccuracy, markers: true },
  ]

  return (
    <section className="page train-page" data-testid="page-train">
      <header className="page-header">
        <h1>Train</h1>
        <p className="muted">
          in {project.name} · {dataset.labeled.toLocaleString()} labeled {dataset.kind === 'image' ? 'images' : 'rows'}{' '}
          (frozen into a dataset version when you start)
        </p>
      </header>
      <div className="train-layout">
        <form
          className="panel train-form"
          onSubmit={(e) => {
            e.preventDefault()
            void start()
          }}
        >
          <h2>Model</h2>
          <select
            value={modelChoice}
            onChange={(e) => set({ modelChoice: e.target.value })}
            aria-label="Model to train"
            data-testid="train-model"
          >
            <option value="draft">
              {keptDraft
                ? `The model on the Model page (${modelDraft?.name ?? 'My model'})`
                : suggested
                  ? `Suggested for this data: ${suggested.name}`
                  : 'No model yet: build one on the Model page'}
            </option>
            {architectures.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} v{a.version}
              </option>
            ))}
          </select>
          {problem && (
            <p className="field-error" role="alert" data-testid="train-model-problem">
              {problem}. <a href="#/model">Fix it on the Model page</a>
            </p>
          )}
          {modelChoice === 'draft' && draft && (
            <p className="muted small" data-testid="train-model-summary">
              {draft.layers.length} layers, input {draft.inputShape.join('×')} ·{' '}
              <a href="#/model">{keptDraft ? 'Change it on the Model page' : 'See or change it on the Model page'}</a>
            </p>
          )}
          <h2>Data</h2>
          <select
            value={versionId}
            onChange={(e) => setVersionId(e.target.value)}
            aria-label="Data version to train on"
            data-testid="train-version"
          >
            <option value="">The current labels (frozen into a version when you start)</option>
            {versions.map((v) => (
              <option key={v.id} value={v.id}>
                {capitalized(versionName(v.number))} · {v.sampleCount.toLocaleString()} examples · {v.counts.train}/
                {v.counts.validation}/{v.counts.test}
              </option>
            ))}
          </select>
          <p className="muted small">
            The train / validation / test split is set on the <a href="#/data">Data page</a>.
          </p>
          <h2>Settings</h2>
          <div className="form-grid">
            <label>
              Optimizer
              <select
                value={hp.optimizer}
                onChange={(e) => set({ hp: { ...hp, optimizer: e.target.value as TrainForm['hp']['optimizer'] } })}
              >
                {Object.entries(optimizerInfo).map(([name, o]) => (
                  <option key={name} value={name}>
                    {o.label}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Learning rate
              <input
                type="number"
                step="any"
                min={0}
                value={hp.learningRate}
                onChange={(e) => set({ hp: { ...hp, learningRate: Number(e.target.value) } })}
                data-testid="train-lr"
              />
            </label>
            <label>
              Batch size
              <input
                type="number"
                min={1}
                value={hp.batchSize}
                onChange={(e) => set({ hp: { ...hp, batchSize: Math.max(1, Math.floor(Number(e.target.value))) } })}
              />
            </label>
            <label>
              Epochs
              <input
                type="number"
                min={1}
                value={hp.epochs}
                onChange={(e) => set({ hp: { ...hp, epochs: Math.max(1, Math.floor(Number(e.target.value))) } })}
                data-testid="train-epochs"
              />
            </label>
            <label>
              Seed
              <input
                type="number"
                min={0}
                value={seed}
                onChange={(e) => set({ seed: Math.max(0, Math.floor(Number(e.target.value))) })}
                data-testid="train-seed"
              />
            </label>
            <label>
              Initial weights
              <select
                value={initializer}
                onChange={(e) => set({ initializer: e.target.value as TrainForm['initializer'] })}
              >
                {Object.entries(runInitializers).map(([name, label]) => (
                  <option key={name} value={name}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            {dataset.kind === 'image' && (
              <label>
                Pixels
                <select
                  value={chosenBackbone ? 'rescale' : hp.normalization}
                  onChange={(e) =>
                    set({ hp: { ...hp, normalization: e.target.value as TrainForm['hp']['normalization'] } })
                  }
                  disabled={chosenBackbone !== null}
                  title={chosenBackbone ? 'A pretrained backbone scales pixels its own way (÷ 255)' : undefined}
                >
                  <option value="rescale">Rescale to 0–1</option>
                  <option value="standardize">Standardise</option>
                </select>
              </label>
            )}
          </div>
          <label className="check">
            <input
              type="checkbox"
              checked={early.on}
              onChange={(e) => set({ early: { ...early, on: e.target.checked } })}
            />{' '}
            Stop early when{' '}
            <select
              value={early.metric}
              onChange={(e) => set({ early: { ...early, metric: e.target.value as TrainForm['early']['metric'] } })}
              disabled={!early.on}
            >
              <option value="val_loss">validation loss</option>
              <option value="val_accuracy">validation accuracy</option>
            </select>{' '}
            stops improving for{' '}
            <input
              type="number"
              min={1}
              value={early.patience}
              disabled={!early.on}
              onChange={(e) => set({ early: { ...early, patience: Math.max(1, Number(e.target.value)) } })}
            />{' '}
            epochs
          </label>
          {chosenBackbone && (
            <BackboneNote
              info={backbones[chosenBackbone.backbone]}
              trainableBlocks={chosenBackbone.trainableBlocks}
              images={trainImages}
              onSuggest={() => set({ hp: { ...hp, epochs: 20, learningRate: 0.003 } })}
            />
          )}
          {dataset.kind === 'image' && (
            <>
              <h2>Augmentation</h2>
              {chosenBackbone && (
                <p className="note small" data-testid="augmentation-off">
                  Off with a pretrained backbone: each image’s features are computed once and cached, so every epoch
                  sees the same images. The run’s receipt says so too.
                </p>
              )}
              {!chosenBackbone && (
                <>
                  <div className="form-grid">
                    <label>
                      Flip
                      <select
                        value={aug.flip}
                        onChange={(e) => set({ aug: { ...aug, flip: e.target.value as TrainForm['aug']['flip'] } })}
                      >
                        <option value="none">none</option>
                        <option value="horizontal">horizontal</option>
                        <option value="vertical">vertical</option>
                        <option value="both">both</option>
                      </select>
                    </label>
                    <label>
                      Rotation (±°)
                      <input
                        type="number"
                        min={0}
                        max={180}
                        value={aug.rotation}
                        onChange={(e) => set({ aug: { ...aug, rotation: Number(e.target.value) } })}
                      />
                    </label>
                    <label>
                      Zoom (±)
                      <input
                        type="number"
                        min={0}
                        max={0.9}
                        step={0.05}
                        value={aug.zoom}
                        onChange={(e) => set({ aug: { ...aug, zoom: Number(e.target.value) } })}
                      />
                    </label>
                    <label>
                      Brightness (±)
                      <input
                        type="number"
                        min={0}
                        max={1}
                        step={0.05}
                        value={aug.brightness}
                        onChange={(e) => set({ aug: { ...aug, brightness: Number(e.target.value) } })}
                      />
                    </label>
                  </div>
                  <AugmentationPreview projectId={project.id} spec={chosenSpec()} augmentation={aug} seed={seed} />
                </>
              )}
            </>
          )}
          <div className="train-actions">
            {/* Offered once a cluster has passed its test job (the Clusters page). */}
            {clusters.length > 0 && (
              <label className="check">
                Train on{' '}
                <select value={runOn} onChange={(e) => set({ target: e.target.value })} data-testid="train-target">
                  <option value="">this computer</option>
                  {clusters.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.profile.name} (Slurm)
                    </option>
                  ))}
                </select>
              </label>
            )}
            <label className="check">
              Cross-validate{' '}
              <select value={folds} onChange={(e) => set({ folds: Number(e.target.value) })} data-testid="train-folds">
                <option value={0}>no: one run on the split</option>
                <option value={3}>3 folds</option>
                <option value={5}>5 folds</option>
                <option value={10}>10 folds</option>
              </select>
            </label>
            <button
              className="button primary"
              type="submit"
              disabled={starting || active || problem !== null}
              title={problem ?? undefined}
              data-testid="train-start"
            >
              {starting ? 'Starting…' : folds > 1 ? `Start ${folds}-fold cross-validation` : 'Start training'}
            </button>
          </div>
        </form>

        <div className="train-main" ref={mainRef}>
          {!run ? (
            <div className="empty-state">
              <h2>No runs yet</h2>
              <p>
                Choose the settings on the left and press Start training. Loss and accuracy appear here as the model
                learns.
              </p>
            </div>
          ) : (
            <>
              <div className="card run-status" data-testid="run-status" data-status={run.status}>
                <div className="row-between">
                  <div>
                    <h2>
                      {run.name} · <span className={`status ${run.status}`}>{run.status}</span>
                    </h2>
                    <p className="muted small">
                      seed {run.seed}
                      {run.engine && (
                        <>
                          {' '}
                          · engine <a href="#/engine">{run.engine.engine}</a> ({engineDetail(run.engine)})
                        </>
                      )}
                      {run.target && (
                        <>
                          {' '}
                          · <span data-testid="run-target">{jobWords(run.target)}</span>
                        </>
                      )}
                      {run.statusReason && ` · ${run.statusReason}`}
                    </p>
                  </div>
                  <div className="row">
                    {run.status === 'running' && (
                      <button className="button" onClick={() => control('runs.pause')} data-testid="run-pause">
                        Pause
                      </button>
                    )}
                    {(run.status === 'paused' || run.status === 'interrupted') && (
                      <button className="button" onClick={() => control('runs.resume')} data-testid="run-resume">
                        Resume
                      </button>
                    )}
                    {(active || run.status === 'interrupted') && (
                      <button
                        className="button danger-outline"
                        onClick={() => control('runs.stop')}
                        data-testid="run-stop"
                      >
                        Stop
                      </button>
                    )}
                  </div>
                </div>
                {active && (
                  <div className="progress-rows" data-testid="run-progress">
                    {foldInfo && (
                      <strong data-testid="fold-progress">
                        Fold {foldInfo.current} of {foldInfo.total}
                      </strong>
                    )}
                    {!p && preparing && preparing.done < preparing.total && (
                      <label data-testid="prepare-progress">
                        {preparing.phase === 'features'
                          ? 'Computing image features'
                          : 'Preparing the images for the model'}
                        : {preparing.done.toLocaleString()} of {preparing.total.toLocaleString()}
                        {preparing.secondsLeft !== null ? `, about ${formatEta(preparing.secondsLeft)} left` : ''}
                        <progress max={preparing.total} value={preparing.done} />
                      </label>
                    )}
                    <label>
                      Epoch {p?.epoch ?? run.epochsDone + 1} of {run.epochs}
                      <progress max={p?.batches ?? 1} value={p?.batch ?? 0} />
                    </label>
                    <label>
                      Whole run ·{' '}
                      {p
                        ? `${Math.round(p.samplesPerSecond).toLocaleString()} samples/s · about ${formatEta(eta)} left`
                        : run.status === 'queued'
                          ? 'preparing the data…'
                          : 'starting…'}
                      <progress max={run.epochs} value={p ? p.epoch - 1 + p.batch / p.batches : run.epochsDone} />
                    </label>
                  </div>
                )}
                {!active && evaluation && <Result evaluation={evaluation} latest={run.latest} />}
                {!active && (
                  <a href={`#/runs/${run.id}`} className="small" data-testid="open-run">
                    See this run in Runs →
                  </a>
                )}
              </div>
              <div className="charts">
                <LiveChart title="Loss" series={lossSeries} version={curves} testId="chart-loss" />
                {dataset.task === 'classification' && (
                  <LiveChart title="Accuracy" series={accSeries} version={curves} testId="chart-accuracy" percentAxis />
                )}
              </div>
            </>
          )}
        </div>
      </div>
      <div className="sweep-section">
        {copied && (
          <div className="banner info" role="status" data-testid="sweep-copied">
            {copied}
            <button className="button link" onClick={() => setCopied(null)}>
              Dismiss
            </button>
          </div>
        )}
        {sweepOpen ? (
          <SweepEditor
            projectId={project.id}
            spec={chosenSpec()}
            hyperparameters={toHyperparameters(form)}
            seed={seed}
            datasetVersionId={versionId}
            target={clusters.some((c) => c.id === runOn) ? runOn : ''}
            targetName={clusters.find((c) => c.id === runOn)?.profile.name ?? null}
            onStarted={(id) => {
              setSweepId(id)
              setSweepOpen(false)
            }}
          />
        ) : (
          <div className="row">
            <button className="button" onClick={() => setSweepOpen(true)} data-testid="sweep-open">
              Sweep these settings…
            </button>
            <span className="muted small">
              Try many settings automatically — grid, random or Bayesian search — and stop the hopeless trials early.
            </span>
          </div>
        )}
        {sweepId && <SweepView key={sweepId} sweepId={sweepId} onUseBest={useBest} onError={onError} />}
      </div>
    </section>
  )
}

function Result({
  evaluation,
  latest,
}: {
  evaluation: Evaluation
  latest: Record<string, number | null>
}): React.JSX.Element {
  if (evaluation.kind === 'regression') {
    return (
      <p data-testid="run-result">
        Test MSE {roundForPeople(evaluation.mse)} · MAE {roundForPeople(evaluation.mae)} · R²{' '}
        {roundForPeople(evaluation.r2)}
      </p>
    )
  }
  const e = evaluation as ClassificationEvaluation
  return (
    <div className="result" data-testid="run-result">
      <p>
        <strong>Test accuracy {percent(e.accuracy)}</strong> · macro F1 {e.macro.f1.toFixed(3)} · validation accuracy{' '}
        {percent(latest.val_accuracy)} · {e.count.toLocaleString()} test examples
      </p>
      <ConfusionMatrix evaluation={e} testId="confusion-matrix" />
    </div>
  )
}

/** What a pretrained backbone means for this run, before it starts: how long, and the settings that suit it. */
function BackboneNote({
  info,
  trainableBlocks,
  images,
  onSuggest,
}: {
  info: BackboneInfo
  trainableBlocks: number
  images: number
  onSuggest: () => void
}): React.JSX.Element {
  const estimate = backboneTimeEstimate(info, trainableBlocks, images)
  const frozen = backboneTimeEstimate(info, 0, images)
  return (
    <div className="note small" data-testid="backbone-note">
      <p>
        <strong>{info.label}</strong>{' '}
        {trainableBlocks === 0
          ? `(frozen): features for the ${images.toLocaleString()} training images are computed once (about ${formatDuration(Math.max(1, estimate.featuresSeconds))}, then cached for re-runs and sweeps); each epoch then takes well under a second.`
          : `with its last ${trainableBlocks} block${trainableBlocks === 1 ? '' : 's'} fine-tuned: each epoch runs them forward and backward on every image, about ${formatDuration(Math.max(1, estimate.epochSeconds))} per epoch on a 2-core laptop (frozen: about ${formatDuration(Math.max(1, frozen.epochSeconds))}).`}{' '}
        <button type="button" className="button link" onClick={onSuggest} data-testid="backbone-settings">
          Use settings that suit it (20 epochs, learning rate 0.003)
        </button>
      </p>
    </div>
  )
}
