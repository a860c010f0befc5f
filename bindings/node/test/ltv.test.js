'use strict'
// The shared LTV vectors through the Node addon; see ltv_vectors.js.
const test = require('node:test')
const { registerLtvTests } = require('./ltv_vectors')

registerLtvTests(test, require('..'))
