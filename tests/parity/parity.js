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
}
