'use strict'
// Shared helpers for the Node tests: the repo root, the golden vectors in tests/fixtures/, and
// the subset comparison the Rust tests use.
const fs = require('node:fs')
const path = require('node:path')

const repoRoot = path.resolve(__dirname, '..', '..', '..')
const fixturesDir = path.join(repoRoot, 'tests', 'fixtures')

/** The golden vectors of one area (tests/fixtures/<area>/*.json), sorted by file name. */
function fixtures(area) {
  const dir = path.join(fixturesDir, area)
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: `${area}/${f}`, ...JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) }))
}

/** Every key of `expected` must match in `got` (numbers within `tol`, relative above 1). */
function compare(where, expected, got, tol, errors) {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (got === null || typeof got !== 'object') return errors.push(`${where}: expected an object, got ${JSON.stringify(got)}`)
    for (const [k, v] of Object.entries(expected)) {
      if (!(k in got)) errors.push(`${where}.${k}: missing`)
      else compare(`${where}.${k}`, v, got[k], tol, errors)
    }
  } else if (Array.isArray(expected)) {
    if (!Array.isArray(got) || got.length !== expected.length) return errors.push(`${where}: expected ${expected.length} items, got ${JSON.stringify(got)}`)
    expected.forEach((e, i) => compare(`${where}[${i}]`, e, got[i], tol, errors))
  } else if (typeof expected === 'number' && typeof got === 'number') {
    if (Math.abs(expected - got) > tol * Math.max(Math.abs(expected), 1)) errors.push(`${where}: expected ${expected}, got ${got}`)
  } else if (expected !== got) {
    errors.push(`${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`)
  }
  return errors
}

module.exports = { repoRoot, fixturesDir, fixtures, compare }

/**
 * The JavaScript examples of the docs: every ```js block of docs/*.md, as `{ file, line, code }`.
 * They are written for `require('kokyaku')` (the Node addon; the WASM package has the same calls).
 */
function docExamples() {
  const docs = path.join(repoRoot, 'docs')
  const out = []
  for (const name of fs.readdirSync(docs).filter((f) => f.endsWith('.md')).sort()) {
    const lines = fs.readFileSync(path.join(docs, name), 'utf8').split('\n')
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() !== '```js') continue
      const start = i + 1
      let end = start
      while (end < lines.length && lines[end].trim() !== '```') end++
      out.push({ file: `docs/${name}`, line: start + 1, code: lines.slice(start, end).join('\n') })
      i = end
    }
  }
  return out
}

/** Runs a doc example with `require('kokyaku')` giving `kokyaku`; throws what it throws. */
function runDocExample(example, kokyaku) {
  const req = (name) => (name === 'kokyaku' ? kokyaku : require(name))
  // eslint-disable-next-line no-new-func
  new Function('require', `'use strict'\n${example.code}`)(req)
}

module.exports.docExamples = docExamples
module.exports.runDocExample = runDocExample
