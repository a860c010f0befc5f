// A minimal dashboard: load the WASM build, read a small CSV order log, show its summary.
// The headless-Chromium smoke test (test/browser/smoke.mjs) loads this page and checks
// `window.kokyakuResult`.
import init, * as kokyaku from '../../pkg-web/kokyaku_wasm.js'

await init()
const result = { version: kokyaku.version() }
window.kokyakuResult = result
document.getElementById('out').textContent = JSON.stringify(result, null, 2)
