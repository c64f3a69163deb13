#!/usr/bin/env node
// kv benchmarks: `npm run bench` (builds first). Not part of `npm test`: timings are reported, never asserted.
// Runs every module in test/bench/targets/ (sorted by file name); each exports `async measure()` returning rows
// {target, kv, reference, ratio, medianRatio?, goal, met}, and prints them all in one markdown table.
//   BENCH_RUNS   process starts per start-up figure (default 30)
//   BENCH_KEYS   keys in the large namespace for the list and reclaim figures (default 1,000,000)
//   BENCH_ONLY   run only the target modules whose file name contains this text
import {readdirSync} from 'node:fs'
import {cpus, release, totalmem, type} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {LARGE_KEYS, RUNS} from './lib.js'

const targetsDir = join(import.meta.dirname, 'targets')
const modules = readdirSync(targetsDir)
  .filter((file) => file.endsWith('.js') && (!process.env.BENCH_ONLY || file.includes(process.env.BENCH_ONLY)))
  .sort()

const rows = []
for (const file of modules) {
  process.stderr.write(`bench: ${file}…\n`)
  const started = Date.now()
  const {measure} = await import(pathToFileURL(join(targetsDir, file)).href)
  rows.push(...(await measure()))
  process.stderr.write(`bench: ${file} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
}

const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU'
console.log(
  `kv bench — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${type()} ${release()}, ` +
    `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM; BENCH_RUNS=${RUNS}, BENCH_KEYS=${LARGE_KEYS}\n`,
)
console.log('| target | kv | reference | ratio | goal | met |')
console.log('| --- | --- | --- | --- | --- | --- |')
for (const {target, kv, reference, ratio, medianRatio, goal, met} of rows) {
  const shownRatio = (ratio == null ? '' : `${ratio.toFixed(2)}×`) + (medianRatio == null ? '' : ` (median ${medianRatio.toFixed(2)}×)`)
  const shownMet = met == null ? '' : met ? 'yes' : '**no**'
  console.log(`| ${target} | ${kv} | ${reference} | ${shownRatio} | ${goal} | ${shownMet} |`)
}
