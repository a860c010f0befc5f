'use strict'
// Every JavaScript example of the docs (```js blocks of docs/*.md, written for the Node addon)
// runs against the WASM package too: it has the same calls.
const test = require('node:test')
const { kokyaku, docExamples, runDocExample } = require('./helpers')

for (const e of docExamples()) {
  test(`${e.file}:${e.line} runs on WASM`, () => {
    runDocExample(e, kokyaku)
  })
}
