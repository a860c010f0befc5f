'use strict'
// Shared helpers for the WASM tests under Node: the `--target nodejs` build, plus the Node
// binding's helpers (repo root, golden vectors in tests/fixtures/, subset comparison), reused
// rather than copied.
const base = require('../../node/test/helpers.js')

const kokyaku = require('../pkg-node/kokyaku_wasm.js')

module.exports = { ...base, kokyaku }
