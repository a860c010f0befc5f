'use strict'
// Loyalty programmes through the WASM build under Node; the tests are the Node binding's
// (bindings/node/test/loyalty_api.js): the two packages have one API.
const test = require('node:test')
const { registerLoyaltyTests } = require('../../node/test/loyalty_api')
const { kokyaku } = require('./helpers')

registerLoyaltyTests(test, kokyaku)
