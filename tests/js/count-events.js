#!/usr/bin/env node
// A pusher-js subscriber for pushcast's end-to-end tests.
//
// Usage: node count-events.js PORT KEY CHANNEL EVENT EXPECTED TIMEOUT_MS
// Prints "ready SOCKET_ID" once subscribed, then "count N" when EXPECTED events named EVENT
// arrived on CHANNEL or the timeout passed, and exits (0 when all arrived, 1 otherwise).
// Each event's data must be JSON with a numeric "seq"; duplicates and order breaks are
// reported as "duplicates N" and "out_of_order N".
"use strict"
const Pusher = require("pusher-js")

const [port, key, channelName, eventName, expectedText, timeoutText] = process.argv.slice(2)
const expected = Number(expectedText)
const pusher = new Pusher(key, {
  wsHost: "127.0.0.1",
  wsPort: Number(port),
  forceTLS: false,
  enabledTransports: ["ws"],
  cluster: "mt1",
  disableStats: true,
})

const seen = new Set()
let count = 0
let duplicates = 0
let outOfOrder = 0
let last = -1

function finish() {
  console.log(`count ${count}`)
  console.log(`duplicates ${duplicates}`)
  console.log(`out_of_order ${outOfOrder}`)
  pusher.disconnect()
  process.exit(count === expected && duplicates === 0 ? 0 : 1)
}

const channel = pusher.subscribe(channelName)
channel.bind("pusher:subscription_succeeded", () => {
  console.log(`ready ${pusher.connection.socket_id}`)
})
channel.bind(eventName, (data) => {
  count += 1
  const seq = data.seq
  if (seen.has(seq)) duplicates += 1
  seen.add(seq)
  if (seq <= last) outOfOrder += 1
  last = seq
  if (count >= expected) finish()
})
setTimeout(finish, Number(timeoutText))
