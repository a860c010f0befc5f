'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { repoRoot, kokyaku } = require('./helpers')

test('version', () => {
  assert.match(kokyaku.version(), /^\d+\.\d+\.\d+/)
})

test('a Rust panic is an exception (a RuntimeError: wasm aborts on panic), and the module still works', (t) => {
  const errors = []
  t.mock.method(console, 'error', (m) => errors.push(String(m)))
  assert.throws(() => kokyaku._debugPanic('boom'), (e) => e instanceof WebAssembly.RuntimeError)
  assert.ok(errors.some((m) => m.includes('boom')), 'the panic message goes to console.error')
  assert.match(kokyaku.version(), /^\d/)
})

test('every error code is documented in docs/errors.md', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'errors.md'), 'utf8')
  for (const code of kokyaku._errorCodes()) assert.ok(doc.includes('`' + code + '`'), code)
})
