'use strict'
// Loyalty programmes through the Node addon; see loyalty_api.js (shared with the WASM tests).
const test = require('node:test')
const { registerLoyaltyTests } = require('./loyalty_api')

registerLoyaltyTests(test, require('..'))
