#!/usr/bin/env node
// The demo's browser tabs: Ada and Grace, two laravel-echo clients (pusher-js), authorized by
// server.php. Prints every event as it arrives at Ada. Protocol with scripts/demo:
//   prints "ready GRACE_SOCKET_ID" once both are subscribed, then waits for EXPECTED events
//   at Ada, lets Grace leave the chat, and prints "ada_received N grace_chat M".
// Usage: node subscriber.js WS_PORT AUTH_URL EXPECTED
"use strict"
const Pusher = require("pusher-js")
const Echo = require("laravel-echo").default

const [wsPort, authUrl, expectedText] = process.argv.slice(2)
const expected = Number(expectedText)

function tab(userId) {
  return new Echo({
    broadcaster: "pusher",
    client: new Pusher("app-key", {
      wsHost: "127.0.0.1", wsPort: Number(wsPort), forceTLS: false, enabledTransports: ["ws"],
      cluster: "mt1", disableStats: true,
      authorizer: (channel) => ({
        authorize: (socketId, callback) => {
          fetch(authUrl, {
            method: "POST",
            headers: { "Content-Type": "application/x-www-form-urlencoded", "X-User": String(userId) },
            body: new URLSearchParams({ socket_id: socketId, channel_name: channel.name }).toString(),
          }).then(async (r) => callback(r.ok ? null : new Error(`auth ${r.status}`), r.ok ? await r.json() : null))
            .catch((e) => callback(e, null))
        },
      }),
    }),
  })
}

const subscribed = (channel) => new Promise((resolve) => channel.subscribed(() => resolve()))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
let adaReceived = 0
let graceChat = 0
let burst = 0
const show = (line) => console.log(`  ada <- ${line}`)

async function main() {
  const ada = tab(1)
  const grace = tab(2)
  const orders = ada.private("orders.1").listen("OrderStatusUpdated", (e) => {
    adaReceived++
    show(`private-orders.1  OrderStatusUpdated  status=${e.status}`)
  })
  const adaChat = ada.join("chat.1")
    .here((users) => console.log(`  ada: in the chat room: ${users.map((u) => u.name).join(", ")}`))
    .joining((u) => console.log(`  ada: ${u.name} joined the chat`))
    .leaving((u) => console.log(`  ada: ${u.name} left the chat`))
    .listen("MessagePosted", (e) => {
      adaReceived++
      show(`presence-chat.1   MessagePosted       ${e.from}: ${e.text}`)
    })
  const inventory = ada.channel("inventory").listen(".product.updated", (e) => {
    adaReceived++
    burst++
    if (burst <= 3 || burst % 250 === 0) show(`inventory         product.updated     product ${e.productId} stock ${e.stock} (${burst} so far)`)
  })
  await Promise.all([subscribed(orders), subscribed(adaChat), subscribed(inventory)])
  const graceRoom = grace.join("chat.1").listen("MessagePosted", () => graceChat++)
  await subscribed(graceRoom)
  await sleep(200)
  console.log(`ready ${grace.socketId()}`)

  const deadline = Date.now() + 60000
  while (adaReceived < expected && Date.now() < deadline) await sleep(20)
  await sleep(300) // anything extra (a duplicate) would arrive by now
  grace.leave("chat.1")
  await sleep(300)
  console.log(`ada_received ${adaReceived} grace_chat ${graceChat}`)
  ada.disconnect()
  grace.disconnect()
  process.exit(0)
}
main()
