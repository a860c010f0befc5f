'use strict'
// The customer book through the JavaScript API, for the Node addon and the WASM build alike
// (same API): summaries equal to the order log's over the same events, snapshots as bytes,
// error codes for bad snapshots, events and dates.
const assert = require('node:assert/strict')

const EVENTS = [
  { type: 'order', order_id: 'O1', customer_id: 'C1', placed_at: '2024-01-05T10:00:00+09:00', amount: 4000, currency: 'JPY' },
  { type: 'order', order_id: 'O2', customer_id: 'C1', placed_at: new Date('2024-01-20T01:00:00Z').toISOString(), amount: '7000.5', currency: 'JPY' },
  { type: 'order', order_id: 'O3', customer_id: 'C2', placed_at: '2024-01-10', amount: 3000.0, currency: 'JPY' },
  { type: 'refund', customer_id: 'C2', refunded_at: '2024-01-12', amount: -500 },
]
const CSV = 'customer_id,order_id,placed_at,amount,currency\n' +
  'C1,O1,2024-01-05T10:00:00+09:00,4000,JPY\nC1,O2,2024-01-20T10:00:00+09:00,7000.5,JPY\nC2,O3,2024-01-10,3000,JPY\n'

function code(f) {
  try { f() } catch (e) { return e.code }
  return 'no error'
}

function registerBookTests(test, kokyaku) {
  test('book summaries equal the order log over the same orders', () => {
    const book = new kokyaku.Book({ timezone: 'Asia/Tokyo', asOf: '2024-02-01' })
    assert.deepEqual(book.ingest(EVENTS.slice(0, 3)), { applied: 3, duplicates: 0, held: 0 })
    const log = kokyaku.readCsv(CSV, { timezone: 'Asia/Tokyo' })
    const want = log.summary({ asOf: '2024-02-01' })
    const got = book.summaries()
    assert.deepEqual(got.map((r) => [r.customer_id, r.orders, r.net, r.recency_days]),
      want.map((r) => [r.customer_id, r.orders, r.net, r.recency_days]))
  })

  test('book changes, advance and snapshot round trip', () => {
    const book = new kokyaku.Book({ asOf: '2024-01-31', dormantDays: 30 })
    book.ingest(EVENTS)
    const rep = book.changes()
    assert.deepEqual(rep.changes.map((c) => c.customer_id), ['C1', 'C2'])
    assert.deepEqual(rep.changes[0].trigger, { event: 'order', id: 'O2' })
    assert.deepEqual(book.changes().changes, [])
    book.advance('2024-03-01')
    assert.deepEqual(book.changes().changes.map((c) => c.kind), ['became_dormant', 'became_dormant'])
    const bytes = book.snapshot()
    assert.equal(Buffer.from(bytes.slice(0, 8)).toString('latin1'), 'KOKYBOOK')
    const again = kokyaku.Book.restore(bytes)
    assert.deepEqual(again.summaries(), book.summaries())
    assert.equal(again.asOf, '2024-03-01')
    assert.equal(again.summary('C2').net, '2500.0')
    assert.equal(again.summary('nobody'), null)
    assert.equal(again.info().customers, 2)
  })

  test('book events from CSV and JSON Lines text', () => {
    const book = new kokyaku.Book()
    assert.deepEqual(book.ingestCsv('type,order_id,customer_id,at,amount\norder,A,X,2024-01-01,10\norder,A,X,2024-01-01,10\n'),
      { applied: 1, duplicates: 1, held: 0 })
    assert.deepEqual(book.ingestJsonl('{"type":"cancellation","order_id":"Z"}\n'), { applied: 1, duplicates: 0, held: 1 })
    assert.equal(book.asOf, '2024-01-02')
  })

  test('book segments', () => {
    const book = new kokyaku.Book({ asOf: '2024-01-31' })
    book.setSegments({ repeaters: 'orders >= 2', rich: 'net >= 5000' })
    book.ingest(EVENTS)
    const entered = book.changes().changes.filter((c) => c.kind === 'segment_entered').map((c) => [c.customer_id, c.segment])
    assert.deepEqual(entered, [['C1', 'repeaters'], ['C1', 'rich']])
    assert.deepEqual(book.segmentMembers('repeaters'), ['C1'])
    assert.equal(book.segmentMembers('nope'), null)
    assert.deepEqual(book.segments().map((p) => p[0]), ['repeaters', 'rich'])
    assert.deepEqual(kokyaku.Book.restore(book.snapshot()).segmentMembers('rich'), ['C1'])
    assert.equal(code(() => book.setSegments({ skus: 'any line (sku = "A")' })), 'invalid_option')
    assert.equal(code(() => book.setSegments({ bad: 'orders >= ' })), 'rule_syntax')
  })

  test('book loyalty programme: stages, points, changes, snapshot', () => {
    const program = { stages: [{ id: 'regular' }, { id: 'gold', spend: 10000 }], window: { kind: 'calendar_year' }, points: { per: 100 } }
    const book = new kokyaku.Book({ asOf: '2024-01-31', program })
    book.ingest(EVENTS)
    const ups = book.changes().changes.filter((c) => c.kind === 'stage_up').map((c) => [c.customer_id, c.from, c.to, c.trigger.id])
    // by hand: 4000 + 7000.5 >= 10000 on 20 January, by O2; points 40 + 70; C2 3000: 30
    assert.deepEqual(ups, [['C1', 'regular', 'gold', 'O2']])
    const rows = Object.fromEntries(book.stages().map((r) => [r.customer_id, r]))
    assert.deepEqual([rows.C1.stage, rows.C1.points_balance, rows.C2.stage, rows.C2.points_balance], ['gold', 110, 'regular', 30])
    assert.equal(book.card('C1').stage, 'gold')
    assert.equal(book.card('nobody'), null)
    assert.equal(kokyaku.Book.restore(book.snapshot()).program().stages[1].id, 'gold')
    assert.equal(code(() => book.setProgram({ stages: [] })), 'invalid_program')
    book.setProgram(null)
    assert.equal(book.stages(), null)
  })

  test('book errors carry codes', () => {
    assert.equal(code(() => kokyaku.Book.restore(new Uint8Array(0))), 'snapshot_truncated')
    assert.equal(code(() => kokyaku.Book.restore(Buffer.from('PK\x03\x04 not a snapshot'))), 'snapshot_foreign')
    const good = new Uint8Array(new kokyaku.Book().snapshot())
    const flipped = Uint8Array.from(good)
    flipped[flipped.length - 1] ^= 0xff
    assert.equal(code(() => kokyaku.Book.restore(flipped)), 'snapshot_corrupt')
    const newer = Uint8Array.from(good)
    newer[8] = 0xff  // version 65535: newer than any build
    newer[9] = 0xff
    assert.equal(code(() => kokyaku.Book.restore(newer)), 'snapshot_version')
    const book = new kokyaku.Book({ asOf: '2024-01-31' })
    assert.equal(code(() => book.ingest([{ type: 'order', customer_id: 'C1', at: '2024-01-01', amount: 1 }])), 'invalid_value')
    assert.equal(code(() => book.advance('2024-01-01')), 'invalid_option')
    assert.equal(code(() => new kokyaku.Book({ timezone: 'Mars/Olympus' })), 'invalid_option')
    assert.equal(code(() => new kokyaku.Book({ bogus: 1 })), 'invalid_option')
  })
}

module.exports = { registerBookTests }
