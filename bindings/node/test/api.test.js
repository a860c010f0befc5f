'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const kokyaku = require('..')

const CSV = 'customer_id,order_id,placed_at,amount\na,1,2024-01-05,100\na,2,2024-02-10,50\nb,3,2024-03-01,80\nc,4,2024-03-02,x\n'

test('readCsv from a string or a Buffer accounts for every row', () => {
  for (const input of [CSV, Buffer.from(CSV)]) {
    const log = kokyaku.readCsv(input)
    const r = log.ingestion
    assert.deepEqual([r.rows_read, r.rows_accepted, r.rows_rejected], [4, 3, 1])
    assert.deepEqual(r.rejections, { invalid_amount: 1 })
    assert.deepEqual([log.nCustomers, log.nOrders], [2, 3])
  }
})

test('records of plain objects', () => {
  const log = kokyaku.fromRecords([
    { customer_id: 'a', order_id: '1', placed_at: '2024-01-05T10:00:00Z', amount: 100 },
    { customer_id: 'b', order_id: '2', placed_at: new Date('2024-01-06').toISOString(), amount: 20.5 },
  ])
  const rows = log.summary({ asOf: '2024-02-01' })
  assert.deepEqual(rows.map((r) => [r.customer_id, r.orders, r.net]), [['a', 1, '100.0'], ['b', 1, '20.5']]) // one money scale per log
  assert.ok('rfm_segment' in log.rfm()[0])
  assert.ok('cpm_class' in log.cpm()[0])
  assert.ok('cpm_name' in log.customers()[0])
})

test('Arrow IPC bytes (stream and file) read like the same rows as CSV', () => {
  const arrow = require('apache-arrow')
  const table = arrow.tableFromArrays({
    customer_id: ['a', 'a', 'b', 'c'],
    order_id: ['1', '2', '3', '4'],
    placed_at: ['2024-01-05', '2024-02-10', '2024-03-01', '2024-03-02'],
    amount: new Float64Array([100, 50, 80, NaN]),
  })
  const fromCsv = kokyaku.readCsv(CSV).summary({ asOf: '2024-04-01' })
  for (const format of ['stream', 'file']) {
    const log = kokyaku.fromArrowIpc(arrow.tableToIPC(table, format))
    assert.equal(log.ingestion.rows_read, 4)
    assert.equal(log.ingestion.rows_rejected, 1)
    assert.deepEqual(
      log.summary({ asOf: '2024-04-01' }).map((r) => [r.customer_id, r.orders, r.first_order, r.last_order]),
      fromCsv.map((r) => [r.customer_id, r.orders, r.first_order, r.last_order]),
    )
  }
  assert.equal((() => { try { kokyaku.fromArrowIpc(Buffer.from('nope')) } catch (e) { return e.code } })(), 'malformed_input')
})

test('tables and overview', () => {
  const log = kokyaku.readCsv(CSV)
  assert.equal(log.rfmSegments().reduce((s, r) => s + r.customers, 0), 2)
  assert.equal(log.cpmClasses().reduce((s, r) => s + r.customers, 0), 2)
  const o = JSON.parse(log.overviewJson({ asOf: '2024-04-01' }))
  assert.deepEqual(Object.keys(o), ['ingest', 'repeat', 'rfm_segments', 'cpm_classes', 'customers'])
})

test('errors carry the core code', () => {
  const code = (f) => { try { f(); return 'no error' } catch (e) { assert.ok(e instanceof Error); return e.code } }
  assert.equal(code(() => kokyaku.readCsv(CSV, { delimiter: '?' })), 'invalid_option')
  assert.equal(code(() => kokyaku.readCsv(CSV, { customerCol: 'nope' })), 'missing_column')
  assert.equal(code(() => kokyaku.readCsv('customer_id,order_id,placed_at,amount,currency\na,1,2024-01-01,1,USD\nb,2,2024-01-02,1,JPY\n')), 'mixed_currency')
  assert.equal(code(() => kokyaku.fromRecords([])), 'empty_input')
  const log = kokyaku.readCsv(CSV)
  assert.equal(code(() => log.summary({ bogus: 1 })), 'invalid_option')
  assert.equal(code(() => log.repeat({ maxN: 1 })), 'invalid_option')
  assert.equal(code(() => log.analyze('nope')), 'invalid_option')
})

test('the README example runs and matches the README', () => {
  const example = path.join(__dirname, '..', 'examples', 'quickstart.js')
  // `require('kokyaku')` resolves to this package through a NODE_PATH entry holding a link to it.
  const modules = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'kokyaku-node-'))
  fs.symlinkSync(path.join(__dirname, '..'), path.join(modules, 'kokyaku'), 'dir')
  const out = execFileSync(process.execPath, [example], {
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: modules },
  }).trim().split('\n')
  fs.rmSync(modules, { recursive: true, force: true })
  assert.equal(out[0], '4 1')
  assert.deepEqual(out.slice(-2), ['0.5', 'invalid_option'])
  const text = fs.readFileSync(example, 'utf8')
  const snippet = text.split('// START quickstart\n')[1].split('// END quickstart')[0]
  assert.ok(fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8').includes(snippet))
})

test('writeCustomers writes the customers table as CSV or Parquet; customersCsv gives its text', () => {
  const log = kokyaku.readCsv(CSV)
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'kokyaku-write-'))
  const csvPath = path.join(dir, 'customers.csv')
  assert.equal(log.writeCustomers(csvPath, { asOf: '2024-04-01' }), 2)
  const text = fs.readFileSync(csvPath, 'utf8')
  assert.equal(text, log.customersCsv({ asOf: '2024-04-01' }))
  const rows = log.customers({ asOf: '2024-04-01' })
  const [header, ...lines] = text.trim().split('\n')
  assert.deepEqual(header.split(',').sort(), Object.keys(rows[0]).sort())
  assert.equal(header.split(',')[0], 'customer_id')
  const net = header.split(',').indexOf('net')
  assert.deepEqual(lines.map((l) => [l.split(',')[0], l.split(',')[net]]), rows.map((r) => [r.customer_id, r.net]))
  const pq = path.join(dir, 'customers.parquet')
  assert.equal(log.writeCustomers(pq, { asOf: '2024-04-01' }), 2)
  const bytes = fs.readFileSync(pq)
  assert.equal(bytes.subarray(0, 4).toString(), 'PAR1')
  assert.equal(bytes.subarray(-4).toString(), 'PAR1')
  assert.throws(() => log.writeCustomers(path.join(dir, 'missing', 'c.csv')), (e) => e.code === 'io_error' && e.message.includes('missing'))
  assert.throws(() => log.customersCsv({ dormantDays: 'soon' }), (e) => e.code === 'invalid_option')
  fs.rmSync(dir, { recursive: true, force: true })
})
