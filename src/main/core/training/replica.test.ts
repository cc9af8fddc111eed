import { afterEach, describe, expect, it } from 'vitest'
import { launchReplica, threadedWorkMinimum, trainingThreads } from './replica'

describe('training threads', () => {
  const saved = process.env.MODELBENCH_TRAIN_THREADS
  afterEach(() => {
    if (saved === undefined) delete process.env.MODELBENCH_TRAIN_THREADS
    else process.env.MODELBENCH_TRAIN_THREADS = saved
  })

  it('uses one thread per core, at most four, with at least four rows per part, and one for a short run', () => {
    delete process.env.MODELBENCH_TRAIN_THREADS
    const long = threadedWorkMinimum
    expect(trainingThreads(32, long, 2)).toBe(2)
    expect(trainingThreads(32, long, 16)).toBe(4)
    expect(trainingThreads(32, long, 1)).toBe(1)
    expect(trainingThreads(8, long, 16)).toBe(2)
    expect(trainingThreads(4, long, 16)).toBe(1)
    expect(trainingThreads(2, long, 16)).toBe(1)
    expect(trainingThreads(32, long - 1, 16)).toBe(1)
  })

  it('takes the thread count from MODELBENCH_TRAIN_THREADS for runs of any length, ignoring a value that is not a whole number', () => {
    process.env.MODELBENCH_TRAIN_THREADS = '1'
    expect(trainingThreads(32, threadedWorkMinimum, 8)).toBe(1)
    process.env.MODELBENCH_TRAIN_THREADS = '3'
    expect(trainingThreads(32, threadedWorkMinimum, 2)).toBe(3)
    expect(trainingThreads(32, 100, 2)).toBe(3)
    process.env.MODELBENCH_TRAIN_THREADS = 'many'
    expect(trainingThreads(32, threadedWorkMinimum, 2)).toBe(2)
  })

  it('says so when a replica thread cannot start', async () => {
    const init = { spec: { inputShape: [4], layers: [] }, kind: 'mse' as const, part: 1 }
    const launched = launchReplica('/no/such/replica-worker.js')
    await expect(launched.init(init)).rejects.toThrow(/^A training thread failed: .*replica-worker\.js/)
    await launched.close()
  })
})
