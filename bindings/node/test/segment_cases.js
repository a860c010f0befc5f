'use strict'
// Segment rules through one JS API: the Node addon and the WASM build (Node target) register
// the same tests (bindings/node/test/segment.test.js, bindings/wasm/test/segment.test.js), the
// way vectors.js is shared. The golden vectors themselves run in vectors.js.
const assert = require('node:assert/strict')
const { fixtures } = require('./helpers.js')

function registerSegmentTests(test, kokyaku, label) {
  const vectors = fixtures('segment')

  test(`${label}: there are segment vectors`, () => assert.ok(vectors.length >= 4))

  test(`${label}: rule texts round-trip and errors carry a caret`, () => {
    for (const v of vectors) {
      for (const c of v.cases) {
        if (c.error || typeof c.rule !== 'string') continue
        assert.equal(kokyaku.ruleText(kokyaku.parseRule(c.rule)), c.rule)
      }
    }
    let caught
    try {
      kokyaku.parseRule('orders >= "two"')
    } catch (e) {
      caught = e
    }
    assert.equal(caught.code, 'rule_type')
    assert.ok(caught.caret.includes('^'))
  })

  test(`${label}: explain and the quantifier scope`, () => {
    const log = kokyaku.fromOrderRecords(vectors[0].input.records)
    const e = kokyaku.explainSegment(log, 'any subscription (product = "A" and status = "active")', 'D', { asOf: '2024-06-30' })
    assert.equal(e.value, false)
    assert.deepEqual(e.items, { scope: 'subscription', items: 2, matching: 0 })
  })

  test(`${label}: presets parse and customers join with zero orders`, () => {
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

  test(`${label}: predictions and stages take camelCase options and explain reads them`, () => {
    const v = vectors.find((x) => x.params.fit && x.params.program)
    assert.ok(v, 'a vector with a saved fit and a programme')
    const log = kokyaku.fromOrderRecords(v.input.records)
    const p = v.params
    const options = {
      asOf: p.summary.as_of, fit: p.fit, spendFit: p.spend_fit, horizon: p.horizon,
      discountPeriod: p.discount_period, discountRate: p.discount_rate, margin: p.margin,
      program: JSON.stringify(p.program),
    }
    const [m] = kokyaku.segment(log, { gold: 'stage = "gold" and p_alive < 0.5' }, options)
    assert.deepEqual(m.customer_ids, ['R'])
    const e = kokyaku.explainSegment(log, 'clv > 0 and stage = "silver"', 'S', options)
    assert.equal(e.value, true)
    const fields = e.children.flatMap((c) => c.fields.map((f) => f.field))
    assert.deepEqual(fields, ['clv', 'stage'])
  })

  test(`${label}: prediction options need a fit; a covariate fit is refused`, () => {
    const log = kokyaku.fromOrderRecords(vectors[0].input.records)
    const code = (f) => {
      try {
        f()
      } catch (e) {
        return e.code
      }
      return 'no error'
    }
    assert.equal(code(() => kokyaku.segment(log, 'orders >= 1', { horizon: 10 })), 'invalid_option')
    const cov = { model: 'bg-nbd', params: { r: 0.2, alpha: 4, a: 0.8, b: 2.4, 'purchase[age]': 0.1 }, time_unit: 'weeks' }
    assert.equal(code(() => kokyaku.segment(log, 'p_alive > 0.5', { fit: cov })), 'invalid_option')
    assert.equal(code(() => kokyaku.segment(log, 'p_alive > 0.5', {})), 'rule_type')
  })
}

module.exports = { registerSegmentTests }
