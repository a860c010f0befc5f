'use strict'
// Issue 20 item 1 in the WASM build: a far-future order date is an error or a result, never a
// trap or an out-of-memory abort (in a browser that kills the tab). Shared with the Node addon.
const test = require('node:test')
const assert = require('node:assert/strict')
const { farDateTests } = require('../../node/test/far_dates')
const { kokyaku } = require('./helpers')

farDateTests(test, assert, kokyaku)
