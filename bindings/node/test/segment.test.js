'use strict'
// Segment rules from Node: the tests shared with the WASM build (segment_cases.js); the golden
// vectors run in vectors.js.
const test = require('node:test')
const { registerSegmentTests } = require('./segment_cases.js')

registerSegmentTests(test, require('../index.js'), 'node')
