'use strict'
// The shared golden vectors (tests/fixtures/) through the WASM build under Node; the harness is
// the Node binding's (bindings/node/test/vectors.js): the two packages have one API.
const test = require('node:test')
const { registerVectorTests } = require('../../node/test/vectors')
const { kokyaku } = require('./helpers')

registerVectorTests(test, kokyaku, 'wasm')
