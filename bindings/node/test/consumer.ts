// Type-checks the committed index.d.ts from a consumer's point of view (tsc --noEmit).
import * as kokyaku from '..'

const v: string = kokyaku.version()
const log: kokyaku.OrderLog = kokyaku.readCsv('customer_id,placed_at,amount\na,2024-01-01,1\n', {
  timezone: 'Asia/Tokyo',
  delimiter: ',',
  duplicateOrder: 'keep_first',
})
const report: kokyaku.IngestReport = log.ingestion
const rows: kokyaku.CustomerRow[] = log.customers({ asOf: '2024-03-31', dormantDays: 90 })
const net: string = rows[0].net
const rate: number | null = log.repeat({ f2WindowDays: 30 }).f2.by_orders.rate
const fromBuffer = kokyaku.readJsonl(Buffer.from('{"customer_id":"a","placed_at":"2024-01-01","amount":1}\n'))
const typed = kokyaku.fromOrderRecords({ timezone: 'UTC', orders: [] })
const fromIpc: kokyaku.OrderLog = kokyaku.fromArrowIpc(new Uint8Array(0))
const analysis: kokyaku.Analysis = 'retention'
const full = log.report({ asOf: '2024-03-31', repeat: { f2WindowDays: 30 } })
void [v, report, full, fromIpc, net, rate, fromBuffer, typed, analysis, log.analyze(analysis, { period: 'monthly' })]
const book = new kokyaku.Book({ timezone: 'Asia/Tokyo', asOf: '2024-03-31', dormantDays: 90 })
const counts: kokyaku.IngestCounts = book.ingest([{ type: 'order', order_id: 'O1', customer_id: 'a', at: '2024-03-01', amount: 1 }])
const changes: kokyaku.Change[] = book.changes().changes
const summaries: kokyaku.CustomerSummary[] = book.summaries()
const restored: kokyaku.Book = kokyaku.Book.restore(book.snapshot())
void [counts, changes, summaries, restored.asOf, book.summary('a'), book.info().held]
const segOpts: kokyaku.SegmentOptions = {
  asOf: '2024-06-30',
  fit: { model: 'bg-nbd', params: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, time_unit: 'weeks' },
  spendFit: '{"model": "gamma-gamma", "params": {"p": 6.25, "q": 3.74, "gamma": 15.44}}',
  horizon: 26,
  program: '{"stages": [{"id": "regular"}], "window": {"kind": "calendar_year"}}',
}
const members: kokyaku.SegmentMembers[] = kokyaku.segment(log, 'p_alive < 0.5 and stage = "regular"', segOpts)
void members
