'use strict'
// Issue 20 item 1: one order dated 9999-12-31 gives an error or a result, never an abort of the
// Node process (the cohort tables once tried to allocate 73 GB).
const test = require('node:test')
const assert = require('node:assert/strict')
const { farDateTests } = require('./far_dates')

farDateTests(test, assert, require('..'))
