'use strict'
// Loyalty programmes through the JavaScript API, for the Node addon and the WASM build alike
// (same API): plain objects out, cards, history, distribution, errors with codes. (The golden
// vectors in tests/fixtures/loyalty run through fixtures.test.js.)
const assert = require('node:assert/strict')

const CSV = 'customer_id,order_id,placed_at,amount\n' +
  'A,a1,2024-01-10T10:00:00Z,20000\nA,a2,2024-02-05T10:00:00Z,15000\n' +
  'A,a3,2024-03-01T10:00:00Z,70000\nB,b1,2024-03-20T10:00:00Z,5000\n'
const PROGRAM = {
  stages: [{ id: 'regular' }, { id: 'silver', spend: 30000 }, { id: 'gold', spend: 100000 }],
  window: { kind: 'rolling', days: 365 },
  points: { per: 100 },
}

function registerLoyaltyTests(test, kokyaku) {
  test('stages as plain objects, from an object or JSON text', () => {
    const log = kokyaku.readCsv(CSV)
    const rows = log.stages(PROGRAM, { asOf: '2024-03-31' })
    assert.deepEqual(rows.map((r) => [r.customer_id, r.stage]), [['A', 'gold'], ['B', 'regular']])
    // 200 + 150 (regular) + 700 (silver x1)
    assert.equal(rows[0].points_balance, 1050)
    assert.equal(rows[1].spend_needed, '25000')
    assert.deepEqual(log.stages(JSON.stringify(PROGRAM), { asOf: '2024-03-31' }), rows)
    assert.equal(kokyaku.readProgram(PROGRAM).downgrade, 'recompute')
  })

  test('history, card and distribution', () => {
    const log = kokyaku.readCsv(CSV)
    const h = log.stageHistory(PROGRAM, { asOf: '2024-03-31' })
    assert.deepEqual(h.map((r) => [r.to, r.order_id]), [['silver', 'a2'], ['gold', 'a3']])
    const card = log.stageCard(PROGRAM, 'B', { asOf: '2024-03-31' })
    assert.equal(card.next_stage, 'silver')
    assert.equal(card.points_balance, 50)
    const d = log.stageDistribution(PROGRAM, { asOf: '2024-04-15' })
    assert.deepEqual(d.month_ends, ['2024-01-31', '2024-02-29', '2024-03-31'])
    assert.deepEqual(d.counts[2], [1, 0, 1])
  })

  test('errors carry codes', () => {
    const log = kokyaku.readCsv(CSV)
    assert.throws(() => log.stages({ ...PROGRAM, stages: [{ id: 'r' }, { id: 'g', spend: '-1' }] }),
      (e) => e.code === 'invalid_program' && e.message.includes('stages[1].spend'))
    assert.throws(() => log.stages(PROGRAM, { asOf: '2024-03-31', redemptions: [{ customer_id: 'B', date: '2024-03-25', points: 51 }] }),
      (e) => e.code === 'points_shortfall')
    assert.throws(() => kokyaku.readProgram({ stages: [], window: { kind: 'calendar_year' } }), (e) => e.code === 'invalid_program')
  })
}

module.exports = { registerLoyaltyTests }
