'use strict'
// The shared golden vectors (tests/fixtures/) through the Node addon; see vectors.js.
const test = require('node:test')
const { registerVectorTests } = require('./vectors')

registerVectorTests(test, require('..'), 'node')
