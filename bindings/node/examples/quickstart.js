// START quickstart
const kokyaku = require('kokyaku')

const csv = `customer_id,order_id,placed_at,amount
A,a1,2024-01-10,1200
A,a2,2024-02-05,800
B,b1,2024-01-15,3000
C,c1,2024-03-01,oops
`
const log = kokyaku.readCsv(csv, { timezone: 'Asia/Tokyo', currency: 'JPY' })
console.log(log.ingestion.rows_read, log.ingestion.rows_rejected) // 4 1 (row 4: invalid amount)

const customers = log.customers({ asOf: '2024-03-31' }) // plain objects: summary + RFM + CPM
console.log(customers.map((c) => [c.customer_id, c.orders, c.net, c.rfm_segment, c.cpm_class]))

const repeat = log.repeat({ asOf: '2024-03-31', f2WindowDays: 90 })
console.log(repeat.repeat_rate.by_orders.rate) // 0.5

try {
  log.summary({ dormant: 'yes' })
} catch (e) {
  console.log(e.code) // invalid_option
}
// END quickstart
