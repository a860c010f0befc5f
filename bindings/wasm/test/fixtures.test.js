'use strict'
// The shared golden vectors (tests/fixtures/<area>/*.json) through the WASM build under Node.
const test = require('node:test')
const assert = require('node:assert/strict')
const { fixtures, compare, kokyaku } = require('./helpers')

const vectors = ['repeat', 'cohort'].flatMap(fixtures)

test('there are golden vectors', () => assert.ok(vectors.length > 0))

for (const v of vectors) {
  test(`golden vector ${v.name}`, () => {
    const log = v.input.csv !== undefined
      ? kokyaku.readCsv(v.input.csv, v.input.options ?? {})
      : kokyaku.fromOrderRecords(v.input.records)
    assert.equal(log.ingestion.rows_rejected, 0)
    const got = log.analyze(v.function, v.params ?? {})
    const errors = compare('', v.expected, got, v.tolerance ?? 1e-12, [])
    assert.deepEqual(errors, [], `result: ${JSON.stringify(got)}`)
  })
}
