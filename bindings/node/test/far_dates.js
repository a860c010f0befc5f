'use strict'
// Shared by the Node addon and WASM tests (one API): a far-future order date.
const FAR = 'customer_id,order_id,placed_at,amount\nA,1,2024-01-05,100\nA,2,2024-03-01,50\nB,3,2024-02-10,80\nC,4,9999-12-31,10\n'

function farDateTests(test, assert, kokyaku) {
  for (const fn of ['retention', 'revenue_curves', 'period_churn', 'cpm_transitions']) {
    test(`${fn} names a far-future order instead of aborting`, () => {
      const log = kokyaku.readCsv(FAR)
      assert.throws(() => log.analyze(fn, {}), (e) => {
        assert.equal(e.code, 'invalid_value', e.message)
        assert.ok(e.message.includes('9999-12-31') && e.message.includes("'C'"), e.message)
        return true
      })
      assert.ok(log.analyze(fn, { as_of: '2024-06-30' }))
    })
  }
  test('per-customer calls answer for a far-future order', () => {
    const log = kokyaku.readCsv(FAR)
    assert.equal(log.summary().length, 3)
    assert.equal(log.cpm().length, 3)
    assert.equal(log.rfm().length, 3)
    try {
      log.report()
    } catch (e) {
      assert.equal(e.code, 'invalid_value', e.message) // an error is fine; an abort is not
    }
  })
}

module.exports = { FAR, farDateTests }
