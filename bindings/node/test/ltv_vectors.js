'use strict'
// The shared LTV golden vectors (tests/fixtures/ltv/*.json, the files crates/kokyaku/tests/
// ltv_golden.rs reads) through `ltv(fn, args)`; registered by the Node addon's and the WASM
// build's tests (the two packages have one API).
const assert = require('node:assert/strict')
const { fixtures } = require('./helpers')

function close(got, want, rel, what) {
  assert.ok(Math.abs(got - want) <= rel * Math.max(Math.abs(want), 1e-300) + 1e-300, `${what}: got ${got}, want ${want}`)
}

/** One value per case and expected key, computed through the binding. */
function answer(k, fit, model, input, key) {
  if (model === 'gamma-gamma') return k.ltv('expected_spend', { fit, data: { x: [input.x], monetary: [input.monetary] } })[0]
  if (model === 'sbg') return k.ltv(key, { fit, t: [input.t] })[0]
  const data =
    model === 'bg-bb'
      ? { x: [input.x], t_x: [input.t_x], n: [input.n] }
      : { x: [input.x], t_x: [input.t_x], T: [input.T] }
  const horizon = model === 'bg-bb' ? input.n_star : input.horizon
  if (key === 'conditional_expected_purchases') return k.ltv(key, { fit, data, horizon })[0]
  return k.ltv(key, { fit, data })[0]
}

/** One LTV vector (model parameters, cases); vectors.js runs it for every tests/fixtures/ltv file. */
function checkLtvVector(k, g) {
  const fit = k.ltv('load', { fit: { model: g.model, params: g.params } })
  const rel = g.tolerance.relative
  for (const c of g.cases) {
    for (const [key, want] of Object.entries(c.expected)) {
      close(answer(k, fit, g.model, c.input, key), want, rel, `${g.model} ${key} ${JSON.stringify(c.input)}`)
    }
  }
  for (const c of g.unconditional || []) {
    close(k.ltv('expected_purchases', { fit, t: [c.input.t] })[0], c.expected.expected_purchases, rel, `E[X(${c.input.t})]`)
  }
}

function registerLtvTests(test, k) {
  const files = fixtures('ltv')
  test('there are LTV vectors', () => assert.ok(files.length >= 5))
  test('ltv errors carry codes', () => {
    assert.throws(() => k.ltv('nope', {}), (e) => e.code === 'invalid_option')
    assert.throws(
      () => k.ltv('fit', { model: 'bg-nbd', data: { x: [1], t_x: [5], T: [2] } }),
      (e) => e.code === 'invalid_value' && /t_x/.test(e.message),
    )
  })
  test('ltv fit on a summary reproduces a saved fit', () => {
    const data = { x: [0, 1, 2, 5, 0, 3], t_x: [0, 3, 10, 20, 0, 12], T: [30, 30, 30, 30, 20, 25] }
    const fit = k.ltv('fit', { model: 'bg-nbd', data })
    assert.equal(fit.model, 'bg-nbd')
    assert.equal(fit.time_unit, 'weeks')
    const p = k.ltv('predict', { fit, data, horizon: 10 })
    assert.deepEqual(p.columns.slice(0, 3), ['p_alive', 'expected_purchases', 'p_alive_at_horizon'])
    assert.equal(p.data.p_alive.length, 6)
  })
}

module.exports = { registerLtvTests, checkLtvVector }
