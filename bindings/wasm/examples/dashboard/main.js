// A minimal dashboard: load the WASM build, read a small CSV order log, show its summary.
// The headless-Chromium smoke test (test/browser/smoke.mjs) loads this page and checks
// `window.kokyakuResult` against test/browser/expected.json.
// START quickstart
import init, * as kokyaku from '../../pkg-web/kokyaku_wasm.js'

await init() // fetches and compiles kokyaku_wasm_bg.wasm

const csv = `customer_id,order_id,placed_at,amount
A,a1,2024-01-10,1200
A,a2,2024-02-05,800
B,b1,2024-01-15,3000
C,c1,2024-03-01,oops
`
const log = kokyaku.readCsv(csv, { timezone: 'Asia/Tokyo', currency: 'JPY' })
const customers = log.customers({ asOf: '2024-03-31' }) // plain objects: summary + RFM + CPM
const repeat = log.repeat({ asOf: '2024-03-31' })

let code
try {
  log.summary({ dormant: 'yes' })
} catch (e) {
  code = e.code // 'invalid_option'
}
// END quickstart

const result = {
  version: kokyaku.version(),
  rowsRead: log.ingestion.rows_read,
  rowsRejected: log.ingestion.rows_rejected,
  customers: customers.map((c) => [c.customer_id, c.orders, c.net, c.cpm_class]),
  repeatRate: repeat.repeat_rate.by_orders.rate,
  errorCode: code,
}
window.kokyakuResult = result
const table = document.createElement('table')
for (const c of customers) {
  const tr = table.insertRow()
  for (const v of [c.customer_id, c.orders, c.net, c.rfm_segment, c.cpm_name]) tr.insertCell().textContent = String(v)
}
document.body.append(table)
document.getElementById('out').textContent = JSON.stringify(result, null, 2)
