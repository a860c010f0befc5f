'use strict'
// The shared LTV vectors through the WASM build under Node; the harness is the Node binding's.
const test = require('node:test')
const { registerLtvTests } = require('../../node/test/ltv_vectors')
const { kokyaku } = require('./helpers')

registerLtvTests(test, kokyaku)
