#!/usr/bin/env node
// laravel-echo (on pusher-js) against sockudo, authorized by a Laravel-shaped PHP app that
// broadcasts through the pushcast driver (php-ext/tests/e2e/app.php).
//
// Usage: node echo-e2e.js WS_PORT APP_URL
// Prints one JSON object with what each client observed, then exits.
"use strict"
const Pusher = require("pusher-js")
const Echo = require("laravel-echo").default

const [wsPort, appUrl] = process.argv.slice(2)

function echoFor(userId) {
  const options = {
    wsHost: "127.0.0.1",
    wsPort: Number(wsPort),
    forceTLS: false,
    enabledTransports: ["ws"],
    cluster: "mt1",
    disableStats: true,
    // What /broadcasting/auth does in a browser, with the user identified by a header.
    authorizer: (channel) => ({
      authorize: (socketId, callback) => {
        fetch(`${appUrl}/broadcasting/auth`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", "X-User": String(userId) },
          body: new URLSearchParams({ socket_id: socketId, channel_name: channel.name }).toString(),
        })
          .then(async (r) => (r.ok ? callback(null, await r.json()) : callback(new Error(`auth ${r.status}`), null)))
          .catch((e) => callback(e, null))
      },
    }),
  }
  const client = new Pusher("app-key", options)
  return new Echo({ broadcaster: "pusher", client })
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const report = { ada: { events: [], members: [], joined: [], left: [] }, grace: { events: [], members: [] }, errors: [] }

async function waitFor(predicate, ms = 10000) {
  const end = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > end) return false
    await sleep(20)
  }
  return true
}

async function broadcast(event, extra = {}) {
  const r = await fetch(`${appUrl}/broadcast`, { method: "POST", body: JSON.stringify({ event, ...extra }) })
  const body = await r.json()
  if (!r.ok || body.pending !== 0) report.errors.push(`broadcast ${event}: ${r.status} ${JSON.stringify(body)}`)
}

function subscribed(channel) {
  return new Promise((resolve) => {
    channel.subscribed(() => resolve(true))
    channel.error((e) => {
      report.errors.push(`subscription error ${JSON.stringify(e)}`)
      resolve(false)
    })
  })
}

async function main() {
  const ada = echoFor(1)
  const grace = echoFor(2)
  const adaEvents = report.ada.events
  const graceEvents = report.grace.events

  const orders = ada.private("orders.1")
  orders.listen("OrderStatusUpdated", (e) => adaEvents.push({ name: "OrderStatusUpdated", payload: e }))
  orders.listen(".order.shipped", (e) => adaEvents.push({ name: "order.shipped", payload: e }))
  const vault = ada.encryptedPrivate("vault.1")
  vault.listen(".vault.opened", (e) => adaEvents.push({ name: "vault.opened", payload: e }))
  const adaChat = ada
    .join("chat.1")
    .here((users) => report.ada.members.push(users.map((u) => u.name).sort()))
    .joining((u) => report.ada.joined.push(u.name))
    .leaving((u) => report.ada.left.push(u.name))
    .listen("ChatMessage", (e) => adaEvents.push({ name: "ChatMessage", payload: e }))
  await Promise.all([subscribed(orders), subscribed(vault), subscribed(adaChat)])

  // Grace may not read Ada's order: the channel callback refuses her.
  const refused = grace.private("orders.1")
  report.grace.ordersRefused = await new Promise((resolve) => {
    refused.subscribed(() => resolve(false))
    refused.error(() => resolve(true))
  })

  const graceChat = grace
    .join("chat.1")
    .here((users) => report.grace.members.push(users.map((u) => u.name).sort()))
    .listen("ChatMessage", (e) => graceEvents.push({ name: "ChatMessage", payload: e }))
  await subscribed(graceChat)
  await waitFor(() => report.ada.joined.length === 1)

  await broadcast("status")
  await broadcast("shipped")
  await broadcast("vault")
  // toOthers(): sent with Ada's socket, so only Grace gets it.
  await broadcast("chat", { text: "hello from Ada", socket: ada.socketId() })
  await broadcast("chat", { text: "hello everyone" })
  await waitFor(() => adaEvents.length >= 4 && graceEvents.length >= 2)
  await sleep(300) // a message Ada should not get would have arrived by now

  grace.leave("chat.1")
  await waitFor(() => report.ada.left.length === 1)

  ada.disconnect()
  grace.disconnect()
  console.log(JSON.stringify(report))
  process.exit(0)
}

main().catch((e) => {
  report.errors.push(String(e && e.stack))
  console.log(JSON.stringify(report))
  process.exit(1)
})
