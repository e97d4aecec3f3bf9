#!/usr/bin/env node
// A laravel-echo subscriber counting the numbered `tick` events of one queued run
// (App\Events\Tick on the public channel `ticks.RUN`, broadcast by `php artisan queue:work`).
//
// Usage: node tick-counter.js WS_PORT APP_KEY RUN EXPECTED
// Prints `ready SOCKET_ID` once subscribed, `progress N` each time N distinct ids have arrived
// (every 10, and at EXPECTED), and, once the `.sentinel` event arrives (the script broadcasts it
// after the last worker exited: Reverb delivers a connection's messages in order, so everything
// broadcast before it is here by then), one line:
//   result received=R distinct=D duplicates=U missing=M first_missing=1,2,... max_id=X
"use strict"
const path = require("path")
const { createRequire } = require("module")
const requireJs = createRequire(path.join(__dirname, "..", "..", "js", "package.json"))
const Pusher = requireJs("pusher-js")
const Echo = requireJs("laravel-echo").default

const [wsPort, appKey, run, expectedText] = process.argv.slice(2)
const expected = Number(expectedText)
const client = new Pusher(appKey, {
  wsHost: "127.0.0.1",
  wsPort: Number(wsPort),
  forceTLS: false,
  enabledTransports: ["ws"],
  cluster: "mt1",
  disableStats: true,
})
const echo = new Echo({ broadcaster: "pusher", client })

const counts = new Map()
let received = 0
let maxId = 0

function finish() {
  const missing = []
  for (let id = 1; id <= expected; id++) if (!counts.has(id)) missing.push(id)
  let duplicates = 0
  for (const n of counts.values()) duplicates += n - 1
  console.log(
    `result received=${received} distinct=${counts.size} duplicates=${duplicates} missing=${missing.length} ` +
      `first_missing=${missing.slice(0, 20).join(",") || "-"} max_id=${maxId}`,
  )
  echo.disconnect()
  process.exit(0)
}

const channel = echo.channel(`ticks.${run}`)
channel.subscribed(() => console.log(`ready ${echo.socketId()}`))
channel.listen(".tick", (e) => {
  received += 1
  const id = Number(e.id)
  if (e.run !== run || !Number.isInteger(id)) {
    console.log(`unexpected ${JSON.stringify(e)}`)
    return
  }
  maxId = Math.max(maxId, id)
  const before = counts.size
  counts.set(id, (counts.get(id) || 0) + 1)
  if (counts.size !== before && (counts.size % 10 === 0 || counts.size === expected)) console.log(`progress ${counts.size}`)
})
channel.listen(".sentinel", finish)
// The script stops waiting on its own; this only keeps a lost subscriber from living forever.
setTimeout(() => {
  console.log("timeout: no sentinel")
  finish()
}, 240000)
