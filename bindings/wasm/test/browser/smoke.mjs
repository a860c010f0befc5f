// Headless Chromium smoke test: serve bindings/wasm over HTTP, load examples/dashboard/ (which
// imports the `--target web` build from pkg-web/), and check what the page computed.
// Fails on any page error or console error. Needs Debian's chromium and npm's playwright-core.
import http from 'node:http'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' }

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x')
  const file = path.join(root, decodeURIComponent(url.pathname))
  if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    res.writeHead(404).end()
    return
  }
  res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' })
  fs.createReadStream(file).pipe(res)
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const { port } = server.address()

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokyaku-chromium-'))
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
})
const problems = []
try {
  const page = await context.newPage()
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console.error: ${m.text()}`) })
  await page.goto(`http://127.0.0.1:${port}/examples/dashboard/index.html`)
  await page.waitForFunction(() => window.kokyakuResult !== undefined, null, { timeout: 30_000 })
  const result = await page.evaluate(() => window.kokyakuResult)
  assert.deepEqual(problems, [])
  assert.match(result.version, /^\d+\.\d+\.\d+/)
  const expected = JSON.parse(fs.readFileSync(path.join(root, 'test', 'browser', 'expected.json'), 'utf8'))
  for (const [key, value] of Object.entries(expected)) assert.deepEqual(result[key], value, key)
  console.log(`browser smoke test ok: ${JSON.stringify(result).slice(0, 200)}`)
} finally {
  await context.close()
  server.close()
  fs.rmSync(userDataDir, { recursive: true, force: true })
}
