'use strict'
// The customer book through the Node addon; see book_api.js (shared with the WASM tests).
const test = require('node:test')
const { registerBookTests } = require('./book_api')

registerBookTests(test, require('..'))
