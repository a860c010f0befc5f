'use strict'
// Shared helpers for the Node tests: the repo root and the golden vectors in tests/fixtures/.
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
    .map((f) => ({ name: f, ...JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) }))
}

module.exports = { repoRoot, fixturesDir, fixtures }
