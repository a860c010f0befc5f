'use strict'
// Segment rules from the WASM build (Node target): the tests shared with the Node addon
// (bindings/node/test/segment_cases.js); the golden vectors run in vectors.js.
const test = require('node:test')
const { registerSegmentTests } = require('../../node/test/segment_cases.js')
const { kokyaku } = require('./helpers.js')

registerSegmentTests(test, kokyaku, 'wasm')

test('wasm: the generated .d.ts types the segment options', () => {
  const assert = require('node:assert/strict')
  const fs = require('node:fs')
  const path = require('node:path')
  const dts = fs.readFileSync(path.join(__dirname, '..', 'pkg-node', 'kokyaku_wasm.d.ts'), 'utf8')
  assert.match(dts, /export interface SegmentOptions \{[\s\S]*spendFit\?: [\s\S]*program\?: /)
  assert.match(dts, /export function segment\(log: OrderLog, rules: SegmentRule \| Record<string, SegmentRule> \| Array<SegmentRule>, options: SegmentOptions \| undefined\): Array<SegmentMembers>;/)
})
