'use strict'
// The shared golden vectors (tests/fixtures/<area>/*.json) through the public JavaScript API,
// for the Node addon and the WASM build alike (same API). Vector format: see
// crates/kokyaku/tests/fixtures_core.rs and repeat_golden.rs. Each `function` is answered with
// public calls, shaped as the Rust harness shapes it; `expected` is a subset of the result (maps
// named `customers` / `counts` compared whole; numbers within `tolerance`; decimal strings as
// decimals); an expected `error` names a code.
const fs = require('node:fs')
const path = require('node:path')
const assert = require('node:assert/strict')

const fixturesDir = path.resolve(__dirname, '..', '..', '..', 'tests', 'fixtures')

/** Every vector of every area (one this harness cannot run fails unless it is a known gap). */
function vectors() {
  return fs.readdirSync(fixturesDir).sort().flatMap((area) => {
    const dir = path.join(fixturesDir, area)
    if (!fs.statSync(dir).isDirectory()) return []
    return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
      .map((f) => ({ name: `${area}/${f}`, ...JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) }))
  })
}

/** The vectors tests/fixtures/KNOWN_GAPS.json lists for `binding` ('node' or 'wasm'): name → reason. */
function knownGaps(binding) {
  const list = JSON.parse(fs.readFileSync(path.join(fixturesDir, 'KNOWN_GAPS.json'), 'utf8')).gaps
  return new Map(Object.entries(list).filter(([, g]) => g.bindings.includes(binding)).map(([n, g]) => [n, g.reason]))
}

function buildLog(kokyaku, input) {
  const opts = input.options ?? {}
  if (input.csv !== undefined) return kokyaku.readCsv(input.csv, opts)
  if (input.jsonl !== undefined) return kokyaku.readJsonl(input.jsonl, opts)
  return kokyaku.fromOrderRecords(input.records)
}

function keyed(rows) {
  return Object.fromEntries(rows.map(({ customer_id: id, ...rest }) => [id, rest]))
}

/** The book vectors (tests/fixtures/book/): steps of events or advances, each followed by a
 * change report and a snapshot / restore round trip; then the final summaries (and, with a
 * loyalty programme, the stages). */
function runBook(kokyaku, input) {
  let book = new kokyaku.Book(input.options ?? {})
  if (input.program) book.setProgram(input.program)
  const segments = input.segments ?? {}
  if (Object.keys(segments).length > 0) book.setSegments(segments)
  const steps = []
  for (const step of input.steps) {
    const out = {}
    if (step.events !== undefined) out.counts = book.ingest(step.events)
    if (step.advance !== undefined) book.advance(step.advance)
    out.changes = book.changes().changes
    steps.push(out)
    book = kokyaku.Book.restore(book.snapshot())
  }
  const members = Object.fromEntries(Object.keys(segments).map((n) => [n, book.segmentMembers(n)]))
  return { as_of: book.asOf, steps, customers: keyed(book.summaries()), segments: members, stages: keyed(book.stages() ?? []) }
}

function run(kokyaku, fn, input, params) {
  if (fn === 'book') return runBook(kokyaku, input)
  const log = buildLog(kokyaku, input)
  const p = params ?? {}
  switch (fn) {
    case 'ingest':
      return { report: log.ingestion, currency: log.report().totals.currency, customers: keyed(log.summary()) }
    case 'summarize':
      return { as_of: log.report(p.as_of ? { as_of: p.as_of } : {}).as_of, customers: keyed(log.summary(p)) }
    case 'rfm': {
      const o = { ...(p.summary ?? {}), ...(p.rfm ?? {}) }
      return { customers: keyed(log.rfm(o)), segments: log.rfmSegments(o) }
    }
    case 'cpm': {
      const o = { ...(p.summary ?? {}), ...(p.cpm ?? {}) }
      return { customers: keyed(log.cpm(o)), classes: Object.fromEntries(log.cpmClasses(o).map((r) => [r.class, r])) }
    }
    case 'cpm_transitions': {
      const t = log.analyze('cpm_transitions', { as_of: p.as_of, ...(p.cpm ?? {}) })
      const counts = {}
      t.classes.forEach((from, i) => t.classes.forEach((to, j) => {
        if (t.counts[i][j]) (counts[from] ??= {})[to] = t.counts[i][j]
      }))
      return { month_ends: t.month_ends, counts, months: t.months }
    }
    case 'campaign_results':
    case 'compare_periods': {
      const d = kokyaku.readDeliveriesCsv(input.deliveries_csv, input.delivery_options ?? {})
      // The log's methods and the module functions are the same calls.
      if (fn === 'compare_periods') return same(log.comparePeriods(d, p), () => kokyaku.comparePeriods(log, d, p))
      return { deliveries: d.ingestion, results: same(log.campaignResults(d, p), () => kokyaku.campaignResults(log, d, p)) }
    }
    case 'acquisition':
      return same(log.acquisition(p), () => kokyaku.acquisition(log, p))
    default:
      return log.analyze(fn, p)
  }
}

/** `viaMethod`, after checking that the module function gives the same result. */
function same(viaMethod, viaFunction) {
  assert.deepStrictEqual(viaFunction(), viaMethod)
  return viaMethod
}

const DECIMAL = /^-?\d+(\.\d+)?$/
function normDec(s) {
  let t = s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s
  if (t === '-0') t = '0'
  return t
}

function compare(where, expected, got, tol, errors) {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (got === null || typeof got !== 'object') return errors.push(`${where}: expected an object, got ${JSON.stringify(got)}`)
    if ((where.endsWith('.customers') || where.endsWith('.counts'))
      && JSON.stringify(Object.keys(expected).sort()) !== JSON.stringify(Object.keys(got).sort())) {
      errors.push(`${where}: expected keys ${Object.keys(expected).sort()}, got ${Object.keys(got).sort()}`)
    }
    for (const [k, v] of Object.entries(expected)) {
      if (!(k in got)) errors.push(`${where}.${k}: missing`)
      else compare(`${where}.${k}`, v, got[k], tol, errors)
    }
  } else if (Array.isArray(expected)) {
    if (!Array.isArray(got) || got.length !== expected.length) return errors.push(`${where}: expected ${expected.length} items, got ${JSON.stringify(got)}`)
    expected.forEach((e, i) => compare(`${where}[${i}]`, e, got[i], tol, errors))
  } else if (typeof expected === 'number' && typeof got === 'number') {
    if (Math.abs(expected - got) > tol * Math.max(Math.abs(expected), 1)) errors.push(`${where}: expected ${expected}, got ${got}`)
  } else if (typeof expected === 'string' && typeof got === 'string' && expected !== got) {
    if (!(DECIMAL.test(expected) && DECIMAL.test(got) && normDec(expected) === normDec(got))) {
      errors.push(`${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`)
    }
  } else if (expected !== got && !(typeof expected === 'string' && typeof got === 'string')) {
    errors.push(`${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`)
  }
  return errors
}

/** A segment vector: members (ids in the log's customer order) or the error (code, position) per case. */
function checkSegmentVector(kokyaku, v) {
  const log = buildLog(kokyaku, v.input)
  // params: the summary options, plus the extras (fit, spend_fit, horizon …, program).
  const { summary, ...extras } = v.params ?? {}
  const options = { asOf: summary?.as_of, ...extras }
  for (const c of v.cases) {
    if (c.error) {
      let caught
      try {
        kokyaku.segment(log, { r: c.rule }, options)
      } catch (e) {
        caught = e
      }
      assert.ok(caught, `${JSON.stringify(c.rule)} should throw`)
      assert.equal(caught.code, c.error.code, caught.message)
      assert.equal(caught.position, c.error.position, caught.message)
      assert.ok(caught.message.includes(c.error.message_contains), caught.message)
      continue
    }
    const [got] = kokyaku.segment(log, { r: c.rule }, options)
    assert.deepEqual(got.customer_ids, c.expected, JSON.stringify(c.rule))
    assert.equal(got.count, c.expected.length)
  }
}

/** Runs one vector; throws when it fails or cannot run. */
function checkVector(kokyaku, v) {
  // tests/fixtures/ltv: model parameters and cases (see ltv_vectors.js).
  if (v.model !== undefined && v.params !== undefined && v.cases !== undefined) return require('./ltv_vectors').checkLtvVector(kokyaku, v)
  // tests/fixtures/segment: one log, rule cases with their members or their error.
  if (v.function === 'segment' && v.cases !== undefined) return checkSegmentVector(kokyaku, v)
  if (v.function === undefined || v.input === undefined || v.expected === undefined) {
    throw new Error(`this harness cannot run a vector with keys ${Object.keys(v).sort()} (no function/input/expected)`)
  }
  const wantError = v.expected?.error
  let got
  try {
    got = run(kokyaku, v.function, v.input, v.params)
  } catch (e) {
    assert.ok(wantError, `unexpected error ${e.code}: ${e.message}`)
    assert.equal(e.code, wantError.code, e.message)
    for (const s of wantError.message_contains ?? []) assert.ok(e.message.includes(s), `message lacks ${s}: ${e.message}`)
    return
  }
  assert.ok(!wantError, `expected error ${JSON.stringify(wantError)}, got ${JSON.stringify(got)}`)
  assert.deepEqual(compare('', v.expected, got, v.tolerance ?? 1e-12, []), [], `result: ${JSON.stringify(got)}`)
}

/**
 * Registers one node:test test per vector. `binding` ('node' or 'wasm') picks its entries of
 * tests/fixtures/KNOWN_GAPS.json: a listed vector must still fail (else the test fails: remove
 * it from the list); an unlisted one must pass (no skipping).
 */
function registerVectorTests(test, kokyaku, binding) {
  const all = vectors()
  const gaps = knownGaps(binding)
  test('there are golden vectors', () => assert.ok(all.length > 0))
  test('known gaps are vectors', () => {
    const names = new Set(all.map((v) => v.name))
    assert.deepEqual([...gaps.keys()].filter((n) => !names.has(n)), [])
  })
  for (const v of all) {
    test(`golden vector ${v.name}`, (t) => {
      if (!gaps.has(v.name)) return checkVector(kokyaku, v)
      let failure
      try {
        checkVector(kokyaku, v)
      } catch (e) {
        failure = e
      }
      assert.ok(failure, `${v.name} is listed for ${binding} in tests/fixtures/KNOWN_GAPS.json but passes: remove it`)
      t.diagnostic(`known gap (${gaps.get(v.name)}): ${failure.message}`)
    })
  }
}

module.exports = { vectors, knownGaps, run, compare, registerVectorTests }
