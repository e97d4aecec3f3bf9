#!/usr/bin/env node
// The subscribers of the Reverb suite: any number of pusher-js connections (optionally wrapped
// in laravel-echo), driven by the PHP side over stdin/stdout, one JSON object per line.
//
// Usage: node hub.js APP_KEY   (run from anywhere; pusher-js and laravel-echo come from
// tests/js/node_modules)
//
// Commands (stdin):
//   {"op":"connect","conn":C,"port":P,"echo":bool}    a new pusher-js connection (Echo on top)
//   {"op":"subscribe","conn":C,"channel":CH[,"count":N]}  pusher-js subscribe; with count, the
//        channel's events are only counted (by data.id): distinct, duplicates, out of order
//   {"op":"echo","conn":C,"kind":"private|encryptedPrivate|join|channel","channel":NAME,
//        "events":[".name", ...]}                      laravel-echo channel (join: here/joining/leaving)
//   {"op":"echo_leave","conn":C,"channel":NAME}       Echo.leave(NAME)
//   {"op":"report","conn":C,"channel":CH}             the counts of a counted channel now
//   {"op":"disconnect","conn":C}
//   {"op":"auth_reply","id":N,"status":S,"body":{..}} the answer to an "auth" message
//   {"op":"proxy","name":NAME,"port":P}               a TCP proxy to 127.0.0.1:P that reports
//        the bytes each connection sent (Reverb's request size limit counts exactly those)
// Messages (stdout), every one with "type":
//   connected {conn, socket_id}          each time the connection (re)connects
//   state {conn, previous, current}      every pusher-js connection state change
//   auth {id, conn, channel, socket_id}  a subscription needs authorization: answer auth_reply
//   subscribed {conn, channel[, members]} / subscription_error {conn, channel, error}
//   event {conn, channel, event, data}   every non-internal event (data as pusher-js gives it)
//   member_added / member_removed {conn, channel, user_id}
//   here / joining / leaving {conn, channel, users|user}   (Echo presence callbacks)
//   counted {conn, channel, total, distinct, duplicates, out_of_order, reached}
//   error {conn, error}                  pusher-js errors (pusher:error, ...)
//   proxy_ready {name, port}; proxied {name, bytes, request}   (request: the first 64 KiB, latin1)
"use strict"
const path = require("path")
const net = require("net")
const readline = require("readline")
const modules = path.join(__dirname, "..", "js", "node_modules")
const Pusher = require(path.join(modules, "pusher-js"))
const Echo = require(path.join(modules, "laravel-echo")).default

const [appKey] = process.argv.slice(2)
const conns = new Map() // conn -> {pusher, echo, counters: Map(channel -> counter)}
const pendingAuth = new Map() // id -> callback
let nextAuthId = 1

function emit(message) {
  process.stdout.write(JSON.stringify(message) + "\n")
}

function describe(error) {
  if (error === undefined || error === null) return null
  if (error instanceof Error) return error.message
  try {
    return JSON.parse(JSON.stringify(error))
  } catch (_) {
    return String(error)
  }
}

function connect({ conn, port, echo }) {
  const pusher = new Pusher(appKey, {
    wsHost: "127.0.0.1",
    wsPort: Number(port),
    forceTLS: false,
    enabledTransports: ["ws"],
    cluster: "mt1",
    disableStats: true,
    channelAuthorization: {
      // What /broadcasting/auth answers, asked of the PHP side (the library's own auth).
      customHandler: ({ socketId, channelName }, callback) => {
        const id = nextAuthId++
        pendingAuth.set(id, (status, body) =>
          status === 200 ? callback(null, body) : callback(new Error(`auth ${status}`), null),
        )
        emit({ type: "auth", id, conn, channel: channelName, socket_id: socketId })
      },
    },
  })
  const entry = { pusher, echo: null, counters: new Map() }
  if (echo) entry.echo = new Echo({ broadcaster: "pusher", client: pusher })
  conns.set(conn, entry)
  pusher.connection.bind("state_change", ({ previous, current }) => {
    emit({ type: "state", conn, previous, current })
    if (current === "connected") emit({ type: "connected", conn, socket_id: pusher.connection.socket_id })
  })
  pusher.connection.bind("error", (e) => emit({ type: "error", conn, error: describe(e) }))
}

function counterReport(conn, channel, c) {
  return {
    type: "counted",
    conn,
    channel,
    total: c.total,
    distinct: c.seen.size,
    duplicates: c.duplicates,
    out_of_order: c.outOfOrder,
    reached: c.seen.size >= c.expected,
  }
}

function subscribe({ conn, channel: name, count }) {
  const entry = conns.get(conn)
  const channel = entry.pusher.subscribe(name)
  channel.bind("pusher:subscription_succeeded", (members) => {
    const message = { type: "subscribed", conn, channel: name }
    if (members && typeof members.each === "function") {
      const ids = []
      members.each((m) => ids.push(String(m.id)))
      message.members = ids.sort()
    }
    emit(message)
  })
  channel.bind("pusher:subscription_error", (e) => emit({ type: "subscription_error", conn, channel: name, error: describe(e) }))
  channel.bind("pusher:member_added", (m) => emit({ type: "member_added", conn, channel: name, user_id: String(m.id) }))
  channel.bind("pusher:member_removed", (m) => emit({ type: "member_removed", conn, channel: name, user_id: String(m.id) }))
  if (count !== undefined) {
    const c = { expected: Number(count), total: 0, seen: new Set(), duplicates: 0, outOfOrder: 0, last: -Infinity, done: false }
    entry.counters.set(name, c)
    channel.bind_global((event, data) => {
      if (event.startsWith("pusher:") || event.startsWith("pusher_internal:")) return
      c.total += 1
      const id = data && data.id
      if (c.seen.has(id)) c.duplicates += 1
      else c.seen.add(id)
      if (typeof id === "number") {
        if (id < c.last) c.outOfOrder += 1
        c.last = id
      }
      if (!c.done && c.seen.size >= c.expected) {
        c.done = true
        emit(counterReport(conn, name, c))
      }
    })
    return
  }
  channel.bind_global((event, data) => {
    if (event.startsWith("pusher:") || event.startsWith("pusher_internal:")) return
    emit({ type: "event", conn, channel: name, event, data })
  })
}

function echoChannel({ conn, kind, channel: name, events }) {
  const { echo } = conns.get(conn)
  const channel = echo[kind](name)
  // Echo's names: private-NAME, private-encrypted-NAME, presence-NAME, NAME.
  const full = channel.name
  channel.subscribed(() => emit({ type: "subscribed", conn, channel: full }))
  channel.error((e) => emit({ type: "subscription_error", conn, channel: full, error: describe(e) }))
  if (kind === "join") {
    const ids = (users) => users.map((u) => String(u.id)).sort()
    channel.here((users) => emit({ type: "here", conn, channel: full, users: ids(users) }))
    channel.joining((u) => emit({ type: "joining", conn, channel: full, user: String(u.id) }))
    channel.leaving((u) => emit({ type: "leaving", conn, channel: full, user: String(u.id) }))
  }
  for (const event of events || []) {
    channel.listen(event, (data) => emit({ type: "event", conn, channel: full, event: event.replace(/^\./, ""), data }))
  }
}

function proxy({ name, port }) {
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), "127.0.0.1")
    const chunks = []
    let bytes = 0
    client.on("data", (chunk) => {
      bytes += chunk.length
      if (bytes <= 65536) chunks.push(chunk)
    })
    client.pipe(upstream)
    upstream.pipe(client)
    const report = () => emit({ type: "proxied", name, bytes, request: Buffer.concat(chunks).toString("latin1") })
    let reported = false
    const done = () => {
      if (!reported) {
        reported = true
        report()
      }
    }
    client.on("close", done)
    client.on("error", () => upstream.destroy())
    upstream.on("error", () => client.destroy())
  })
  server.listen(0, "127.0.0.1", () => emit({ type: "proxy_ready", name, port: server.address().port }))
}

const handlers = {
  connect,
  proxy,
  subscribe,
  echo: echoChannel,
  echo_leave: ({ conn, channel }) => conns.get(conn).echo.leave(channel),
  report: ({ conn, channel }) => emit(counterReport(conn, channel, conns.get(conn).counters.get(channel))),
  disconnect: ({ conn }) => {
    const entry = conns.get(conn)
    if (entry) entry.pusher.disconnect()
    conns.delete(conn)
  },
  auth_reply: ({ id, status, body }) => {
    const callback = pendingAuth.get(id)
    pendingAuth.delete(id)
    if (callback) callback(status, body)
  },
  exit: () => {
    for (const { pusher } of conns.values()) pusher.disconnect()
    process.exit(0)
  },
}

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "") return
  let command
  try {
    command = JSON.parse(line)
    const handler = handlers[command.op]
    if (!handler) throw new Error(`unknown op ${command.op}`)
    handler(command)
  } catch (e) {
    emit({ type: "error", conn: command && command.conn, error: `hub: ${e && e.stack}` })
  }
})
process.stdin.on("end", () => handlers.exit())
