import { afterEach, describe, expect, it } from 'vitest'
import { startReplica, trainingThreads } from './replica'

describe('training threads', () => {
  const saved = process.env.MODELBENCH_TRAIN_THREADS
  afterEach(() => {
    if (saved === undefined) delete process.env.MODELBENCH_TRAIN_THREADS
    else process.env.MODELBENCH_TRAIN_THREADS = saved
  })

  it('uses one thread per core, at most four, with at least four rows per part', () => {
    delete process.env.MODELBENCH_TRAIN_THREADS
    expect(trainingThreads(32, 2)).toBe(2)
    expect(trainingThreads(32, 16)).toBe(4)
    expect(trainingThreads(32, 1)).toBe(1)
    expect(trainingThreads(8, 16)).toBe(2)
    expect(trainingThreads(4, 16)).toBe(1)
    expect(trainingThreads(2, 16)).toBe(1)
  })

  it('takes the thread count from MODELBENCH_TRAIN_THREADS, ignoring a value that is not a whole number', () => {
    process.env.MODELBENCH_TRAIN_THREADS = '1'
    expect(trainingThreads(32, 8)).toBe(1)
    process.env.MODELBENCH_TRAIN_THREADS = '3'
    expect(trainingThreads(32, 2)).toBe(3)
    process.env.MODELBENCH_TRAIN_THREADS = 'many'
    expect(trainingThreads(32, 2)).toBe(2)
  })

  it('says so when a replica thread cannot start', async () => {
    const init = { spec: { inputShape: [4], layers: [] }, kind: 'mse' as const, part: 1 }
    await expect(startReplica('/no/such/replica-worker.js', init)).rejects.toThrow(/^A training thread failed: .*replica-worker\.js/)
  })
})
