'use strict'
// Every JavaScript example of the docs (```js blocks of docs/*.md) runs against the addon.
const test = require('node:test')
const assert = require('node:assert/strict')
const kokyaku = require('..')
const { docExamples, runDocExample } = require('./helpers')

const examples = docExamples()

test('the docs have JavaScript examples to run', () => {
  // book, segments and the LTV bindings page at least; a block that stops being found fails here.
  const files = new Set(examples.map((e) => e.file))
  for (const f of ['docs/book.md', 'docs/segments.md', 'docs/ltv-bindings.md']) {
    assert.ok(files.has(f), `${f} has no \`\`\`js block`)
  }
})

for (const e of examples) {
  test(`${e.file}:${e.line} runs`, () => {
    runDocExample(e, kokyaku)
  })
}
