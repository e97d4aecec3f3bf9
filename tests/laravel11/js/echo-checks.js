#!/usr/bin/env node
// laravel-echo (on pusher-js) against a real Reverb, authorized by the Laravel 11 test app
// (tests/laravel11, served by `php -S` with the pushcast extension), which broadcasts through
// Laravel's own event dispatch and the pushcast driver.
//
// Usage: node echo-checks.js WS_PORT APP_URL APP_KEY APP_SECRET
// Prints one line per check (`check NAME ok` / `check NAME FAILED: why`), `note ...` lines, and
// last `published P delivered D duplicates U` (deliveries expected from the app's broadcasts,
// how many of them arrived, and arrivals beyond them). Exits 0 when every check passed.
"use strict"
const path = require("path")
const crypto = require("crypto")
const { createRequire } = require("module")
// The subscribers' packages live in tests/js (npm ci there).
const requireJs = createRequire(path.join(__dirname, "..", "..", "js", "package.json"))
const Pusher = requireJs("pusher-js")
const Echo = requireJs("laravel-echo").default

const [wsPort, appUrl, appKey, appSecret] = process.argv.slice(2)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const results = []
const notes = []
const errors = []

function check(name, ok, why) {
  results.push(ok ? `check ${name} ok` : `check ${name} FAILED: ${why}`)
}

async function waitFor(predicate, ms = 10000) {
  const end = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > end) return false
    await sleep(20)
  }
  return true
}

// What Echo's `authEndpoint` does in a browser; the session cookie is an X-User header here
// (the app's closure request guard). No X-User: a guest.
function clientFor(userId) {
  const headers = userId ? { "X-User": String(userId) } : {}
  return new Pusher(appKey, {
    wsHost: "127.0.0.1",
    wsPort: Number(wsPort),
    forceTLS: false,
    enabledTransports: ["ws"],
    cluster: "mt1",
    disableStats: true,
    channelAuthorization: { endpoint: `${appUrl}/broadcasting/auth`, transport: "ajax", headers },
    userAuthentication: { endpoint: `${appUrl}/broadcasting/user-auth`, transport: "ajax", headers },
  })
}

function echoFor(userId) {
  const client = clientFor(userId)
  const echo = new Echo({ broadcaster: "pusher", client })
  client.connection.bind("error", (e) => (echo.connectionErrors = (echo.connectionErrors || []).concat([e])))
  return echo
}

function subscribed(channel) {
  return new Promise((resolve) => {
    channel.subscribed(() => resolve(true))
    channel.error((e) => resolve(`refused ${JSON.stringify(e)}`))
  })
}

// A request to the app the way Echo's axios interceptor makes it: X-Socket-ID on every request.
async function post(route, body, socketId, extraHeaders = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json", ...extraHeaders }
  if (socketId) headers["X-Socket-ID"] = socketId
  const r = await fetch(`${appUrl}${route}`, { method: "POST", headers, body: JSON.stringify(body || {}) })
  const text = await r.text()
  let json = null
  try {
    json = JSON.parse(text)
  } catch (_) {
    // reported below
  }
  if (!r.ok) errors.push(`POST ${route}: HTTP ${r.status} ${text.slice(0, 300)}`)
  return json
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)
const show = (v) => JSON.stringify(v)

async function main() {
  const ada = echoFor(1)
  const grace = echoFor(2)
  const guest = echoFor(null)
  const seen = { ada: [], grace: [] }
  const presence = { adaHere: [], graceHere: [], joined: [], left: [] }
  const record = (who, name) => (payload) => seen[who].push({ name, payload })

  // Subscriptions: public, private, encrypted private, presence.
  const adaNews = ada.channel("news").listen("NewsPublished", record("ada", "NewsPublished"))
  const graceNews = grace.channel("news").listen("NewsPublished", record("grace", "NewsPublished"))
  const orders = ada
    .private("orders.1")
    .listen("OrderStatusUpdated", record("ada", "OrderStatusUpdated"))
    .listen(".order.shipped", record("ada", "order.shipped"))
  const vault = ada.encryptedPrivate("vault.1").listen(".vault.opened", record("ada", "vault.opened"))
  const adaChat = ada
    .join("chat.1")
    .here((users) => presence.adaHere.push(users.map((u) => u.name).sort()))
    .joining((u) => presence.joined.push(u))
    .leaving((u) => presence.left.push(u))
    .listen("ChatMessage", record("ada", "ChatMessage"))
  const subs = await Promise.all([subscribed(adaNews), subscribed(graceNews), subscribed(orders), subscribed(vault), subscribed(adaChat)])
  if (!subs.every((s) => s === true)) errors.push(`subscriptions: ${show(subs)}`)

  // The channel callback refuses Grace on Ada's order; a guest gets no private channel at all.
  const graceOrders = await subscribed(grace.private("orders.1"))
  const guestOrders = await subscribed(guest.private("orders.1"))

  const graceChat = grace
    .join("chat.1")
    .here((users) => presence.graceHere.push(users.map((u) => u.name).sort()))
    .listen("ChatMessage", record("grace", "ChatMessage"))
  const graceJoined = await subscribed(graceChat)
  await waitFor(() => presence.joined.length === 1)

  const adaSocket = ada.socketId()
  // Broadcasts from the app, all with Ada's X-Socket-ID as Echo sends it; only toOthers() uses it.
  const answers = []
  answers.push(await post("/api/broadcast/news", { headline: "Laravel 11" }, adaSocket))
  answers.push(await post("/api/broadcast/status", {}, adaSocket))
  answers.push(await post("/api/broadcast/shipped", {}, adaSocket))
  answers.push(await post("/api/broadcast/vault", {}, adaSocket))
  answers.push(await post("/api/broadcast/chat", { text: "hello from Ada", to_others: true }, adaSocket))
  answers.push(await post("/api/broadcast/chat", { text: "hello everyone" }, adaSocket))
  // Per-channel order: once Ada has "hello everyone", a "hello from Ada" for her would be there.
  await waitFor(() => seen.ada.length >= 5 && seen.grace.length >= 3)

  const adaNamed = (name) => seen.ada.filter((e) => e.name === name).map((e) => e.payload)
  const graceNamed = (name) => seen.grace.filter((e) => e.name === name).map((e) => e.payload)

  check(
    "echo_public_channel",
    same(adaNamed("NewsPublished"), [{ headline: "Laravel 11" }]) && same(graceNamed("NewsPublished"), [{ headline: "Laravel 11" }]),
    `ada ${show(adaNamed("NewsPublished"))} grace ${show(graceNamed("NewsPublished"))}`,
  )
  check(
    "echo_private_channel",
    subs[2] === true &&
      same(adaNamed("OrderStatusUpdated"), [{ orderId: 1, status: "packed" }]) &&
      same(adaNamed("order.shipped"), [{ orderId: 1, status: "shipped" }]),
    `subscribed ${show(subs[2])}, events ${show(seen.ada.filter((e) => e.name !== "ChatMessage"))}`,
  )
  check(
    "auth_refuses_other_user_and_guest",
    typeof graceOrders === "string" && graceOrders.includes("403") && typeof guestOrders === "string" && guestOrders.includes("403"),
    `grace ${show(graceOrders)}, guest ${show(guestOrders)}`,
  )
  check(
    "echo_encrypted_private_channel",
    subs[3] === true && same(adaNamed("vault.opened"), [{ secret: "the pin is 1234" }]),
    `subscribed ${show(subs[3])}, ${show(adaNamed("vault.opened"))}`,
  )
  check(
    "echo_to_others",
    same(adaNamed("ChatMessage"), [{ text: "hello everyone" }]) &&
      same(graceNamed("ChatMessage"), [{ text: "hello from Ada" }, { text: "hello everyone" }]) &&
      answers[4] && answers[4].socket === adaSocket,
    `ada ${show(adaNamed("ChatMessage"))} grace ${show(graceNamed("ChatMessage"))} app saw socket ${show(answers[4])}`,
  )

  grace.leave("chat.1")
  await waitFor(() => presence.left.length === 1)
  check(
    "echo_presence",
    graceJoined === true &&
      same(presence.adaHere, [["Ada"]]) &&
      same(presence.graceHere, [["Ada", "Grace"]]) &&
      same(presence.joined, [{ id: 2, name: "Grace" }]) &&
      same(presence.left, [{ id: 2, name: "Grace" }]),
    show(presence),
  )

  // A broadcast the server refuses: Laravel's BroadcastException from the event dispatch.
  const refused = await post("/api/broadcast-refused", {})
  check(
    "broadcast_exception",
    refused &&
      refused.thrown === "Illuminate\\Broadcasting\\BroadcastException" &&
      refused.code === 401 &&
      refused.previous === "Pushcast\\ApiErrorException" &&
      /^Pushcast error: server answered HTTP 401/.test(refused.message),
    show(refused),
  )

  // User sign-in. Reverb 1.10.2 has none (shared/reverb/README.md): first what the server does
  // with a correctly signed pusher:signin (signed here, independently of the app and pushcast)...
  const signinErrors = () => (ada.connectionErrors || []).filter((e) => e && e.type === "PusherError")
  let signedIn = false
  ada.connector.pusher.connection.bind("message", (m) => m && m.event === "pusher:signin_success" && (signedIn = true))
  const userData = JSON.stringify({ id: "1", user_info: { name: "Ada" } })
  const signature = crypto.createHmac("sha256", appSecret).update(`${adaSocket}::user::${userData}`).digest("hex")
  ada.connector.pusher.send_event("pusher:signin", { auth: `${appKey}:${signature}`, user_data: userData })
  await waitFor(() => signedIn || signinErrors().length > 0)
  const codes = signinErrors().map((e) => e.data && e.data.code)
  const serverSignsIn = signedIn
  check(
    "reverb_has_no_user_signin",
    !signedIn && same(codes, [4200]),
    signedIn ? "the server accepted pusher:signin: the reverb profile's refusal of user sign-in is out of date" : `errors ${show(signinErrors())}`,
  )

  // ... so the app's /broadcasting/user-auth must not hand out a signature (laravel-echo's user
  // authenticator gets none), and the driver's failure is the library's typed error.
  const signinAnswer = await new Promise((resolve) => {
    ada.connector.pusher.config.userAuthenticator({ socketId: adaSocket }, (err, data) => resolve(err ? { error: String(err) } : data))
  })
  const probe = await post("/api/user-auth-probe", { socket_id: adaSocket }, null, { "X-User": "1" })
  if (serverSignsIn) {
    let answerOk = false
    if (signinAnswer && typeof signinAnswer.user_data === "string") {
      const expected = `${appKey}:${crypto.createHmac("sha256", appSecret).update(`${adaSocket}::user::${signinAnswer.user_data}`).digest("hex")}`
      answerOk = signinAnswer.auth === expected && JSON.parse(signinAnswer.user_data).id === "1"
    }
    check("user_auth_answer", answerOk, show(signinAnswer))
  } else {
    check(
      "user_auth_refused_on_reverb",
      !(signinAnswer && signinAnswer.auth) && probe && probe.is_pushcast_exception === true,
      `laravel-echo's user authenticator got ${show(signinAnswer)}; the driver: ${show(probe)}`,
    )
    notes.push(`note user_auth: ${probe && probe.thrown}: ${probe && probe.message}`)
  }

  // sendToUser needs sign-in on the server: on the reverb profile the library must refuse it with
  // its typed error instead of accepting an event no one can receive.
  const sendToUser = await post("/api/send-to-user", {})
  check(
    "send_to_user_refused_on_reverb",
    serverSignsIn || (sendToUser && sendToUser.thrown !== null && sendToUser.is_pushcast_exception === true),
    `sendToUser on server_profile reverb: ${show(sendToUser)}`,
  )
  if (sendToUser && sendToUser.thrown) notes.push(`note send_to_user: ${sendToUser.thrown}: ${sendToUser.message}`)

  // Deliveries expected per client and event; more than expected counts as duplicates.
  const expected = [
    ["ada", "NewsPublished", 1], ["grace", "NewsPublished", 1], ["ada", "OrderStatusUpdated", 1], ["ada", "order.shipped", 1],
    ["ada", "vault.opened", 1], ["ada", "ChatMessage", 1], ["grace", "ChatMessage", 2],
  ]
  let delivered = 0
  let duplicates = 0
  for (const [who, name, n] of expected) {
    const got = seen[who].filter((e) => e.name === name).length
    delivered += Math.min(got, n)
    duplicates += Math.max(0, got - n)
  }
  check("echo_no_request_errors", errors.length === 0, errors.join("; "))

  ada.disconnect()
  grace.disconnect()
  guest.disconnect()
  for (const line of results.concat(notes)) console.log(line)
  console.log(`published ${expected.reduce((sum, e) => sum + e[2], 0)} delivered ${delivered} duplicates ${duplicates}`)
  process.exit(results.every((l) => / ok$/.test(l)) ? 0 : 1)
}

main().catch((e) => {
  for (const line of results.concat(notes)) console.log(line)
  console.log(`check echo_scenario FAILED: ${String(e && e.stack).replace(/\n/g, " | ")}`)
  process.exit(1)
})
