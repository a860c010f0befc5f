'use strict'
// Node and WASM sides of the parity test: report-{node,wasm}.json, overview-{node,wasm}.json.
const fs = require('node:fs')
const path = require('node:path')

const root = path.resolve(__dirname, '..', '..')
const out = process.env.KOKYAKU_PARITY_OUT
const asOf = process.env.KOKYAKU_PARITY_AS_OF
const text = fs.readFileSync(process.env.KOKYAKU_PARITY_DATA, 'utf8')

for (const [name, mod] of [
  ['node', require(path.join(root, 'bindings', 'node'))],
  ['wasm', require(path.join(root, 'bindings', 'wasm', 'pkg-node', 'kokyaku_wasm.js'))],
]) {
  const log = mod.readCsv(text, { delimiter: 'whitespace' })
  fs.writeFileSync(path.join(out, `report-${name}.json`), log.reportJson({ asOf }))
  fs.writeFileSync(path.join(out, `overview-${name}.json`), log.overviewJson({ asOf }))
  fs.writeFileSync(path.join(out, `customers-${name}-text.csv`), log.customersCsv({ asOf }))
  if (name === 'node') {
    for (const ext of ['csv', 'parquet']) log.writeCustomers(path.join(out, `customers-node.${ext}`), { asOf })
  }
}

// LTV (see parity.py): the same scenario through `ltvCalibrationSummary` and `ltv(fn, args)`.
for (const [name, mod] of [
  ['node', require(path.join(root, 'bindings', 'node'))],
  ['wasm', require(path.join(root, 'bindings', 'wasm', 'pkg-node', 'kokyaku_wasm.js'))],
]) {
  const log = mod.readCsv(text, { delimiter: 'whitespace' })
  const r = mod.ltvCalibrationSummary(log, { calibrationEnd: '1997-09-30', holdoutEnd: '1998-06-30', timeUnit: 'weeks' })
  const s = Object.fromEntries(r.columns.map((c) => [c, r.data[c]]))
  const data = { x: s.x, t_x: s.t_x, T: s.T, time_unit: 'weeks' }
  const fit = mod.ltv('fit', { model: 'bg-nbd', data, options: { l2_penalty: 0, max_iterations: 1000 } })
  const p = mod.ltv('predict', { fit, data, horizon: 39 })
  const predict = Object.fromEntries(p.columns.map((c) => [c, p.data[c]]))
  const ey = mod.ltv('conditional_expected_purchases', { fit, data, horizon: 39 })
  const evaluate = mod.ltv('evaluate_holdout', { predicted: ey, actual: s.holdout_purchases })
  fs.writeFileSync(path.join(out, `ltv-${name}.json`), JSON.stringify({ summary: s, fit, predict, evaluate }))
}
