/**
 * The command line from source (`node --import tsx src/main/cli-main.ts <command>`), as bin/modelbench.mjs
 * runs the built one: the Slurm tests start their workers with it, so they need no build.
 */
import { runCli } from './cli'

process.exitCode = await runCli(process.argv.slice(2))
