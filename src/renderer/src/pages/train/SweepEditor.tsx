/**
 * The sweep editor on the Train page: which settings to vary (training settings and the settings of the
 * chosen architecture's layers), over what range or choices, how to search, what to optimise, the budget,
 * the pruning rule and the seed. Shows a grid's size and refuses an empty or impossible space with the reason.
 */
import { useMemo, useState } from 'react'
import type { ModelSpec } from '../../../../shared/model/types'
import { gridSize, spaceProblem, type PruningRule, type SweepParam, type SweepStrategy } from '../../../../shared/sweep'
import { sweepableHyperparameters, sweepableLayerSettings } from '../../../../shared/sweep-apply'
import type { HyperparametersInput } from '../../../../shared/training'
import { api } from '../../api'
import { messageOf } from '../../../../shared/messages'

interface Props {
  projectId: string
  spec: ModelSpec | null
  hyperparameters: HyperparametersInput
  seed: number
  datasetVersionId: string
  /** The Train page's "Train on": a cluster profile's id, or '' for this computer. */
  target: string
  /** The target's name, for the plan line. */
  targetName: string | null
  onStarted: (sweepId: string) => void
}

const objectives = [
  { id: 'val_accuracy:maximize', label: 'Maximise validation accuracy' },
  { id: 'val_loss:minimize', label: 'Minimise validation loss' },
  { id: 'accuracy:maximize', label: 'Maximise training accuracy' },
  { id: 'loss:minimize', label: 'Minimise training loss' },
] as const

const pruningRules: Record<string, { label: string; rule: PruningRule }> = {
  none: { label: 'None: every trial runs all its epochs', rule: { rule: 'none' } },
  median: {
    label: 'Median stopping: stop trials worse than the median so far',
    rule: { rule: 'median', warmupEpochs: 1, minTrials: 3 },
  },
  asha: {
    label: 'Successive halving (ASHA): keep the best third at epochs 1, 3, 9…',
    rule: { rule: 'asha', minEpochs: 1, reductionFactor: 3 },
  },
}

/** "16, 32, 64" → [16, 32, 64]; "adam, sgd" → ['adam', 'sgd']; "true, false" → [true, false]. */
function parseChoices(text: string): Array<string | number | boolean> {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (s === 'true' ? true : s === 'false' ? false : s !== '' && Number.isFinite(Number(s)) ? Number(s) : s))
}

export function SweepEditor({
  projectId,
  spec,
  hyperparameters,
  seed,
  datasetVersionId,
  target,
  targetName,
  onStarted,
}: Props): React.JSX.Element {
  const options = useMemo(() => [...sweepableHyperparameters, ...(spec ? sweepableLayerSettings(spec) : [])], [spec])
  const [space, setSpace] = useState<SweepParam[]>(() => [sweepableHyperparameters[0]!.param])
  const [choiceText, setChoiceText] = useState<Record<string, string>>({})
  const [strategy, setStrategy] = useState<SweepStrategy>('random')
  const [objective, setObjective] = useState<(typeof objectives)[number]['id']>('val_accuracy:maximize')
  const [trials, setTrials] = useState('8')
  const [minutes, setMinutes] = useState('')
  const [pruning, setPruning] = useState('none')
  const [sweepSeed, setSweepSeed] = useState(seed)
  const [parallel, setParallel] = useState('1')
  const [error, setError] = useState<string | null>(null)
  const [starting, setStarting] = useState(false)

  const problem = spaceProblem(space, strategy)
  const grid = problem === null && strategy === 'grid' ? gridSize(space) : null
  const trialCount = trials.trim() === '' ? null : Number(trials)
  const minuteCount = minutes.trim() === '' ? null : Number(minutes)
  const budgetProblem =
    trialCount !== null && !(Number.isInteger(trialCount) && trialCount >= 1)
      ? 'The number of trials must be a whole number of at least 1'
      : minuteCount !== null && !(minuteCount > 0)
        ? 'The time limit must be a number of minutes above 0'
        : strategy !== 'grid' && trialCount === null && minuteCount === null
          ? 'Give a number of trials, a time limit, or both'
          : null

  const setParam = (i: number, p: SweepParam): void => setSpace(space.map((x, k) => (k === i ? p : x)))
  const unused = options.filter((o) => !space.some((p) => p.path === o.path))

  async function start(): Promise<void> {
    if (!spec) return
    setStarting(true)
    setError(null)
    const [metric, direction] = objective.split(':') as ['val_accuracy', 'maximize']
    try {
      const s = await api.call('sweeps.start', {
        projectId,
        spec,
        hyperparameters,
        seed: sweepSeed,
        ...(datasetVersionId ? { datasetVersionId } : {}),
        space,
        strategy,
        objective: { metric, direction },
        budget: { trials: trialCount, minutes: minuteCount },
        pruning: pruningRules[pruning]!.rule,
        parallel: Math.max(1, Math.round(Number(parallel) || 1)),
        ...(target ? { target } : {}),
      })
      onStarted(s.id)
    } catch (err) {
      setError(messageOf(err))
    } finally {
      setStarting(false)
    }
  }

  return (
    <div className="card sweep-editor" data-testid="sweep-editor">
      <h2>Sweep</h2>
      <p className="muted small">
        Each trial is an ordinary run with the settings above, changed as the sweep says; trials run one after another,
        unattended. Closing the app pauses the sweep; it goes on when ModelBench starts again.
      </p>
      <table className="sweep-space">
        <thead>
          <tr>
            <th>Setting</th>
            <th>Values</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {space.map((p, i) => (
            <tr key={p.path} data-testid="sweep-param">
              <td>
                <select
                  value={p.path}
                  onChange={(e) => setParam(i, options.find((o) => o.path === e.target.value)!.param)}
                  data-testid="sweep-param-path"
                  aria-label="Setting to vary"
                >
                  {[options.find((o) => o.path === p.path) ?? { path: p.path, label: p.path }, ...unused].map((o) => (
                    <option key={o.path} value={o.path}>
                      {o.label}
                    </option>
                  ))}
                </select>
              </td>
              <td className="sweep-values">
                {p.kind === 'categorical' ? (
                  <input
                    value={choiceText[p.path] ?? p.choices.join(', ')}
                    onChange={(e) => {
                      setChoiceText({ ...choiceText, [p.path]: e.target.value })
                      const choices = parseChoices(e.target.value)
                      if (choices.length > 0) setParam(i, { ...p, choices })
                    }}
                    aria-label={`${p.path} choices, separated by commas`}
                    data-testid="sweep-choices"
                  />
                ) : (
                  <>
                    <label>
                      from{' '}
                      <input
                        type="number"
                        step="any"
                        value={p.low}
                        onChange={(e) => setParam(i, { ...p, low: Number(e.target.value) })}
                        data-testid="sweep-low"
                      />
                    </label>
                    <label>
                      to{' '}
                      <input
                        type="number"
                        step="any"
                        value={p.high}
                        onChange={(e) => setParam(i, { ...p, high: Number(e.target.value) })}
                        data-testid="sweep-high"
                      />
                    </label>
                    {p.kind === 'float' ? (
                      <>
                        <label className="check">
                          <input
                            type="checkbox"
                            checked={p.log}
                            onChange={(e) => setParam(i, { ...p, log: e.target.checked })}
                          />{' '}
                          log scale
                        </label>
                        {strategy === 'grid' && (
                          <label>
                            grid points{' '}
                            <input
                              type="number"
                              min={2}
                              max={20}
                              value={p.gridPoints}
                              onChange={(e) =>
                                setParam(i, { ...p, gridPoints: Math.max(2, Math.round(Number(e.target.value))) })
                              }
                            />
                          </label>
                        )}
                      </>
                    ) : (
                      <label>
                        step{' '}
                        <input
                          type="number"
                          min={1}
                          value={p.step}
                          onChange={(e) => setParam(i, { ...p, step: Math.max(1, Math.round(Number(e.target.value))) })}
                        />
                      </label>
                    )}
                  </>
                )}
              </td>
              <td>
                <button
                  type="button"
                  className="button icon"
                  onClick={() => setSpace(space.filter((_, k) => k !== i))}
                  aria-label={`Stop varying ${p.path}`}
                  title="Remove"
                >
                  ×
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row">
        <button
          type="button"
          className="button"
          disabled={unused.length === 0}
          onClick={() => setSpace([...space, unused[0]!.param])}
          data-testid="sweep-add"
        >
          Add a setting
        </button>
      </div>
      <div className="form-grid sweep-settings">
        <label>
          Search
          <select
            value={strategy}
            onChange={(e) => setStrategy(e.target.value as SweepStrategy)}
            data-testid="sweep-strategy"
          >
            <option value="grid">Grid: every combination</option>
            <option value="random">Random</option>
            <option value="tpe">Bayesian (TPE): learns from the trials so far</option>
          </select>
        </label>
        <label>
          Objective
          <select
            value={objective}
            onChange={(e) => setObjective(e.target.value as typeof objective)}
            data-testid="sweep-objective"
          >
            {objectives.map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Trials {strategy === 'grid' ? '(at most; empty = the whole grid)' : ''}
          <input
            type="number"
            min={1}
            value={trials}
            onChange={(e) => setTrials(e.target.value)}
            data-testid="sweep-trials"
          />
        </label>
        <label>
          Time limit, minutes (optional)
          <input
            type="number"
            min={1}
            value={minutes}
            onChange={(e) => setMinutes(e.target.value)}
            data-testid="sweep-minutes"
          />
        </label>
        <label>
          Stop hopeless trials early
          <select value={pruning} onChange={(e) => setPruning(e.target.value)} data-testid="sweep-pruning">
            {Object.entries(pruningRules).map(([id, r]) => (
              <option key={id} value={id}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Trials at once {target ? '(jobs in the queue together)' : ''}
          <input
            type="number"
            min={1}
            max={64}
            value={parallel}
            onChange={(e) => setParallel(e.target.value)}
            data-testid="sweep-at-once"
          />
        </label>
        <label>
          Seed
          <input
            type="number"
            min={0}
            value={sweepSeed}
            onChange={(e) => setSweepSeed(Math.max(0, Math.round(Number(e.target.value))))}
            data-testid="sweep-seed"
          />
        </label>
      </div>
      <p className={(problem ?? budgetProblem) ? 'field-error' : 'muted'} data-testid="sweep-plan">
        {problem ??
          budgetProblem ??
          (grid !== null
            ? `The grid has ${grid} combination${grid === 1 ? '' : 's'}: ${trialCount !== null && trialCount < grid ? `the first ${trialCount} will run` : `${grid} trials`}.`
            : `${trialCount !== null ? `${trialCount} trials` : 'Trials'}${minuteCount !== null ? `, for at most ${minuteCount} minutes` : ''}${Number(parallel) > 1 ? `, ${Math.round(Number(parallel))} at a time` : ''}${targetName ? `, as Slurm jobs on ${targetName}` : ''}.`)}
      </p>
      {error && (
        <p className="field-error" role="alert" data-testid="sweep-error">
          {error}
        </p>
      )}
      <div className="row">
        <button
          type="button"
          className="button primary"
          disabled={!spec || starting || problem !== null || budgetProblem !== null}
          onClick={() => void start()}
          data-testid="sweep-start"
        >
          Start sweep
        </button>
        {!spec && <span className="muted small">Build a model on the Model page first.</span>}
      </div>
    </div>
  )
}
