'use strict'
// The customer book through the WASM build under Node; the tests are the Node binding's
// (bindings/node/test/book_api.js): the two packages have one API.
const test = require('node:test')
const { registerBookTests } = require('../../node/test/book_api')
const { kokyaku } = require('./helpers')

registerBookTests(test, kokyaku)
