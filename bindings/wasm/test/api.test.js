'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { kokyaku } = require('./helpers')

const CSV = 'customer_id,order_id,placed_at,amount\na,1,2024-01-05,100\na,2,2024-02-10,50\nb,3,2024-03-01,80\nc,4,2024-03-02,x\n'

test('readCsv from a string or bytes accounts for every row', () => {
  for (const input of [CSV, new TextEncoder().encode(CSV)]) {
    const log = kokyaku.readCsv(input)
    const r = log.ingestion
    assert.deepEqual([r.rows_read, r.rows_accepted, r.rows_rejected], [4, 3, 1])
    assert.deepEqual(r.rejections, { invalid_amount: 1 })
    assert.deepEqual([log.nCustomers, log.nOrders], [2, 3])
  }
})

test('records of plain objects, tables and overview', () => {
  const log = kokyaku.fromRecords([
    { customer_id: 'a', order_id: '1', placed_at: '2024-01-05T10:00:00Z', amount: 100 },
    { customer_id: 'b', order_id: '2', placed_at: '2024-01-06', amount: 20.5 },
  ])
  const rows = log.summary({ asOf: '2024-02-01' })
  assert.deepEqual(rows.map((r) => [r.customer_id, r.orders, r.net]), [['a', 1, '100.0'], ['b', 1, '20.5']])
  assert.ok('rfm_segment' in log.rfm()[0])
  assert.ok('cpm_class' in log.cpm()[0])
  assert.equal(log.rfmSegments().reduce((s, r) => s + r.customers, 0), 2)
  assert.equal(log.cpmClasses().reduce((s, r) => s + r.customers, 0), 2)
  const o = JSON.parse(log.overviewJson({ asOf: '2024-04-01' }))
  assert.deepEqual(Object.keys(o), ['ingest', 'repeat', 'rfm_segments', 'cpm_classes', 'customers'])
})

test('errors are Errors carrying the core code', () => {
  const code = (f) => { try { f(); return 'no error' } catch (e) { assert.ok(e instanceof Error); return e.code } }
  assert.equal(code(() => kokyaku.readCsv(CSV, { delimiter: '?' })), 'invalid_option')
  assert.equal(code(() => kokyaku.readCsv(CSV, { customerCol: 'nope' })), 'missing_column')
  assert.equal(code(() => kokyaku.readCsv(42)), 'invalid_option')
  assert.equal(code(() => kokyaku.fromRecords([])), 'empty_input')
  const log = kokyaku.readCsv(CSV)
  assert.equal(code(() => log.summary({ bogus: 1 })), 'invalid_option')
  assert.equal(code(() => log.repeat({ maxN: 1 })), 'invalid_option')
})

test('the README shows the tested dashboard example', () => {
  const main = fs.readFileSync(path.join(__dirname, '..', 'examples', 'dashboard', 'main.js'), 'utf8')
  const snippet = main.split('// START quickstart\n')[1].split('// END quickstart')[0]
  assert.ok(fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8').includes(snippet))
})

test('customersCsv gives the customers table as CSV text', () => {
  const log = kokyaku.readCsv(CSV)
  const text = log.customersCsv({ asOf: '2024-04-01' })
  const rows = log.customers({ asOf: '2024-04-01' })
  const [header, ...lines] = text.trim().split('\n')
  assert.deepEqual(header.split(',').sort(), Object.keys(rows[0]).sort())
  assert.equal(header.split(',')[0], 'customer_id')
  const net = header.split(',').indexOf('net')
  assert.deepEqual(lines.map((l) => [l.split(',')[0], l.split(',')[net]]), rows.map((r) => [r.customer_id, r.net]))
  assert.throws(() => log.customersCsv({ dormantDays: 'soon' }), (e) => e.code === 'invalid_option')
})
