'use strict'
// Segment rules from the WASM build (Node target): the shared golden vectors (tests/fixtures/segment), errors with code
// and position, explain, presets, the customers table.
const test = require('node:test')
const assert = require('node:assert/strict')
const { fixtures } = require('./helpers.js')
const kokyaku = require('./helpers.js').kokyaku

const vectors = fixtures('segment')

test('there are segment vectors', () => assert.ok(vectors.length >= 2))

for (const v of vectors) {
  test(`segment vector ${v.name}`, () => {
    const log = kokyaku.fromOrderRecords(v.input.records)
    const asOf = v.params.summary ? v.params.summary.as_of : undefined
    for (const c of v.cases) {
      if (c.error) {
        let caught
        try {
          kokyaku.segment(log, { r: c.rule }, { asOf })
        } catch (e) {
          caught = e
        }
        assert.ok(caught, `${JSON.stringify(c.rule)} should throw`)
        assert.equal(caught.code, c.error.code, caught.message)
        assert.equal(caught.position, c.error.position, caught.message)
        assert.ok(caught.message.includes(c.error.message_contains), caught.message)
        assert.ok(caught.caret.includes('^'))
        continue
      }
      const [got] = kokyaku.segment(log, { r: c.rule }, { asOf })
      assert.deepEqual(got.customer_ids, c.expected, JSON.stringify(c.rule))
      assert.equal(got.count, c.expected.length)
      if (typeof c.rule === 'string') assert.equal(kokyaku.ruleText(kokyaku.parseRule(c.rule)), c.rule)
    }
  })
}

test('explain and the quantifier scope', () => {
  const log = kokyaku.fromOrderRecords(vectors[0].input.records)
  const e = kokyaku.explainSegment(log, 'any subscription (product = "A" and status = "active")', 'D', { asOf: '2024-06-30' })
  assert.equal(e.value, false)
  assert.deepEqual(e.items, { scope: 'subscription', items: 2, matching: 0 })
})

test('presets parse and customers join with zero orders', () => {
  for (const p of kokyaku.segmentPresets()) assert.equal(kokyaku.ruleText(kokyaku.parseRule(p.rule)), p.rule)
  const log = kokyaku.fromRecords([{ order_id: 'o1', customer_id: 'A', placed_at: '2024-01-10', amount: 3000 }])
  const customers = [{ customer_id: 'A', birth_date: '1996-02-29' }, { customer_id: 'F', prefecture: '東京都' }, { customer_id: '' }]
  const merged = kokyaku.withCustomers(log, customers)
  assert.equal(merged.nCustomers, 2)
  assert.deepEqual(kokyaku.segment(merged, 'orders = 0', { asOf: '2024-06-30' })[0].customer_ids, ['F'])
  const r = kokyaku.customersReport(customers)
  assert.deepEqual([r.rows_read, r.rows_accepted, r.rows_rejected], [3, 2, 1])
  assert.deepEqual(r.rejections, { missing_customer: 1 })
})
