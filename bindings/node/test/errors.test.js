'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const kokyaku = require('..')
const { repoRoot } = require('./helpers')

test('version', () => {
  assert.match(kokyaku.version(), /^\d+\.\d+\.\d+/)
})

test('a Rust panic is an Error with code "panic", and the addon keeps working', () => {
  assert.throws(
    () => kokyaku._debugPanic('boom'),
    (e) => e instanceof Error && e.code === 'panic' && /boom/.test(e.message),
  )
  assert.match(kokyaku.version(), /^\d/)
})

test('every error code is documented in docs/errors.md', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'errors.md'), 'utf8')
  for (const code of kokyaku._errorCodes()) assert.ok(doc.includes('`' + code + '`'), code)
})
