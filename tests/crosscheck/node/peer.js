#!/usr/bin/env node
// Cross-check peer for pushcast, backed by pusher-http-node (npm `pusher`,
// version pinned in package.json) and tweetnacl.
//
// Usage: node peer.js [cases.jsonl]      (reads stdin when no file is given)
//
// Reads one JSON case per line and writes one JSON result per case to stdout,
// in the same order. Every value is computed by the SDK's own functions:
//   sign            Pusher#createSignedQueryString (Date.now stubbed to the
//                   case's timestamp); auth_signature / body_md5 are read back
//                   out of the query string the SDK produced.
//   private_auth    Pusher#authorizeChannel(socket_id, channel)
//   presence_auth   Pusher#authorizeChannel(socket_id, channel, {user_id, user_info?})
//   user_auth       Pusher#authenticateUser(socket_id, user_data)
//   encrypted_auth  Pusher#authorizeChannel on a client configured with
//                   encryptionMasterKeyBase64 (SDK returns shared_secret)
//   webhook         Pusher#webhook({headers, rawBody}).isValid()
//   decrypt         key = Pusher#channelSharedSecret(channel) (SDK's own
//                   SHA-256(channel || master key)), then tweetnacl.secretbox.open
// A case the SDK refuses (throws) yields {"id", "kind", "error": message};
// one bad case never stops the run.
//
// Observed SDK behaviour (pusher 5.3.4), for whoever reads the diffs:
// - Channel names must match [A-Za-z0-9_\-=@,.;]+ and be <= 200 chars; the
//   SDK does NOT require a private-/presence- prefix in authorizeChannel.
// - Socket ids must match ^\d+\.\d+$ (ASCII digits only in JS).
// - authenticateUser only requires user_data.id to be a non-empty string.
// - JSON (channel_data, user_data) is JSON.stringify: compact, key order as
//   given, non-ASCII emitted raw (UTF-8), "/" not escaped.
// - createSignedQueryString adds body_md5 only when the body is truthy (an
//   empty-string body gets no body_md5), hashes the body as UTF-8, leaves
//   param values unencoded, and throws if params contain a reserved auth_* /
//   body_md5 key.
// - Webhooks: isValid() needs content-type application/json and a body that
//   JSON.parse accepts; key compared with ==; signature compared as an exact
//   string (uppercase hex is rejected). No timestamp/freshness check at all.
"use strict"

const fs = require("fs")
const Pusher = require("pusher")
const nacl = require("tweetnacl")

const clients = new Map()

function client(c, masterKeyBase64) {
  const mk = masterKeyBase64 === undefined ? null : masterKeyBase64
  const cacheKey = JSON.stringify([c.app_id, c.key, c.secret, mk])
  let p = clients.get(cacheKey)
  if (!p) {
    const opts = {
      appId: c.app_id,
      key: c.key,
      secret: c.secret,
      host: "127.0.0.1",
      useTLS: false,
    }
    if (mk !== null) opts.encryptionMasterKeyBase64 = mk
    p = new Pusher(opts)
    clients.set(cacheKey, p)
  }
  return p
}

function withFixedNow(unixSeconds, fn) {
  if (!Number.isInteger(unixSeconds)) {
    throw new Error("timestamp must be an integer number of seconds")
  }
  const realNow = Date.now
  Date.now = () => unixSeconds * 1000
  try {
    return fn()
  } finally {
    Date.now = realNow
  }
}

function strictBase64(s, what) {
  if (typeof s !== "string") throw new Error(what + " must be a base64 string")
  const buf = Buffer.from(s, "base64")
  // Buffer silently skips junk; insist on canonical padded base64.
  if (buf.toString("base64") !== s) throw new Error(what + " is not canonical base64")
  return new Uint8Array(buf)
}

const handlers = {
  sign(c) {
    const p = client(c)
    const options = {
      method: c.method,
      path: c.path,
      params: c.params || {},
    }
    if (c.body !== null && c.body !== undefined) options.body = c.body
    const qs = withFixedNow(c.timestamp, () => p.createSignedQueryString(options))
    const marker = "&auth_signature="
    const at = qs.lastIndexOf(marker)
    if (at < 0) throw new Error("SDK query string has no auth_signature: " + qs)
    const authSignature = qs.slice(at + marker.length)
    // Param values are unencoded in the SDK's query string, so look for an
    // exact "body_md5=<32 hex>" segment rather than splitting on "&"/"=".
    const m = qs.slice(0, at).match(/(?:^|&)body_md5=([0-9a-f]{32})(?=&|$)/)
    return { auth_signature: authSignature, body_md5: m ? m[1] : null }
  },

  private_auth(c) {
    const r = client(c).authorizeChannel(c.socket_id, c.channel)
    return { auth: r.auth }
  },

  presence_auth(c) {
    const data = { user_id: c.user_id }
    if (c.user_info !== null && c.user_info !== undefined) data.user_info = c.user_info
    const r = client(c).authorizeChannel(c.socket_id, c.channel, data)
    return { auth: r.auth, channel_data: r.channel_data }
  },

  user_auth(c) {
    const r = client(c).authenticateUser(c.socket_id, c.user_data)
    return { auth: r.auth, user_data: r.user_data }
  },

  encrypted_auth(c) {
    const r = client(c, c.master_key_base64).authorizeChannel(c.socket_id, c.channel)
    if (r.shared_secret === undefined) throw new Error("SDK returned no shared_secret")
    return { auth: r.auth, shared_secret: r.shared_secret }
  },

  webhook(c) {
    const wh = client(c).webhook({
      headers: {
        "x-pusher-key": c.webhook_key,
        "x-pusher-signature": c.signature,
        "content-type": "application/json",
      },
      rawBody: c.body,
    })
    return { valid: wh.isValid() === true }
  },

  decrypt(c) {
    const key = client(c, c.master_key_base64).channelSharedSecret(c.channel)
    const payload = JSON.parse(c.data)
    const nonce = strictBase64(payload.nonce, "nonce")
    const box = strictBase64(payload.ciphertext, "ciphertext")
    if (nonce.length !== nacl.secretbox.nonceLength) {
      throw new Error("nonce must be " + nacl.secretbox.nonceLength + " bytes, got " + nonce.length)
    }
    const opened = nacl.secretbox.open(box, nonce, new Uint8Array(key))
    if (opened === null) throw new Error("secretbox.open failed (bad key, nonce or ciphertext)")
    const plaintext = new TextDecoder("utf-8", { fatal: true }).decode(opened)
    return { plaintext }
  },
}

function runCase(line) {
  let c
  try {
    c = JSON.parse(line)
  } catch (e) {
    return { id: null, kind: null, error: "invalid case JSON: " + e.message }
  }
  const out = { id: c && c.id !== undefined ? c.id : null, kind: c && c.kind !== undefined ? c.kind : null }
  try {
    const h = Object.prototype.hasOwnProperty.call(handlers, out.kind) ? handlers[out.kind] : null
    if (!h) throw new Error("unsupported kind: " + out.kind)
    const fields = h(c)
    for (const k of Object.keys(fields)) {
      if (fields[k] !== undefined) out[k] = fields[k]
    }
  } catch (e) {
    out.error = e && e.message !== undefined ? String(e.message) : String(e)
  }
  return out
}

function main() {
  const src = process.argv[2] !== undefined ? process.argv[2] : 0
  const text = fs.readFileSync(src, "utf8")
  const lines = text.split("\n")
  const outs = []
  for (const raw of lines) {
    const line = raw.replace(/\r$/, "")
    if (line.trim() === "") continue
    outs.push(JSON.stringify(runCase(line)))
  }
  if (outs.length) process.stdout.write(outs.join("\n") + "\n")
}

main()
