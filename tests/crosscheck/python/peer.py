#!/usr/bin/env python3
"""Cross-check peer for pushcast, backed by pusher-http-python (PyPI `pusher`,
version pinned in requirements.txt) and PyNaCl.

Usage: .venv/bin/python peer.py [cases.jsonl]   (reads stdin when no file)

Reads one JSON case per line and writes one JSON result per case to stdout, in
the same order. Every value is computed by the SDK's own code:
  sign            pusher.http.Request._generate_auth() (the SDK's request
                  signer; time.time stubbed to the case's timestamp), see
                  sign() below for why the Request is built by hand.
  private_auth    Pusher.authenticate(channel, socket_id)
  presence_auth   Pusher.authenticate(channel, socket_id, {user_id, user_info?})
  user_auth       Pusher.authenticate_user(socket_id, user_data)
  encrypted_auth  Pusher.authenticate on a client configured with
                  encryption_master_key_base64 (SDK returns shared_secret)
  webhook         Pusher.validate_webhook(key, signature, body)
  decrypt         key = pusher.crypto.generate_shared_secret(channel bytes,
                  pusher.crypto.parse_master_key(None, b64)) -- the SDK's own
                  derivation (module-level, not re-exported by Pusher), then
                  nacl.secret.SecretBox.decrypt.
A case the SDK refuses (raises) yields {"id", "kind", "error": message}; one
bad case never stops the run.

Observed SDK behaviour (pusher 3.3.4):
- Request signing always adds body_md5, also for GET, where it is the MD5 of
  the empty body (d41d8cd98f00b204e9800998ecf8427e): GET signatures therefore
  differ from pusher-http-node / the bare protocol description.
- Request normally builds a POST body itself with json.dumps(params) (", " and
  ": " separators); it has no way to sign caller-supplied body bytes.
- auth_timestamp is '%.0f' % time.time(): rounded, not truncated.
- Reserved keys (auth_key, auth_timestamp, auth_version, body_md5) passed as
  extra params are silently overwritten by the SDK, not refused.
- channel_data / user_data are json.dumps(...) with default settings:
  separators ", " / ": " and ensure_ascii=True (non-ASCII -> \\uXXXX).
- Channel names must match \\A[-a-zA-Z0-9_=@,.;]+\\Z and be <= 200 chars; no
  private-/presence- prefix is required by authenticate.
- Socket ids must match \\A\\d+\\.\\d+\\Z on a str, so non-ASCII Unicode digits
  (e.g. Arabic-Indic) are accepted.
- authenticate_user also validates user_data["id"] with the channel-name
  regex (<= 200 chars): ids with spaces, ':', non-ASCII ... are rejected.
- authenticate's shared_secret is *bytes* (base64.b64encode); decoded here.
- validate_webhook returns None (-> valid=false) when the key differs, the
  signature differs (compare_digest; uppercase hex rejected), the body is not
  JSON, the body has no truthy "time_ms", or |now - time_ms| > 300000 ms
  (5-minute freshness check against the real clock; NOT stubbed here). It
  raises (-> mapped to valid=false) for a JSON body that is not an object
  (AttributeError on .get) and for a non-ASCII signature string (TypeError
  from hmac.compare_digest).
"""

import base64
import json
import sys
import time
from unittest import mock

import nacl.exceptions
import nacl.secret
import pusher
import pusher.crypto
import pusher.http

_clients = {}


def client(c, master_key_base64=None):
    cache_key = (c["app_id"], c["key"], c["secret"], master_key_base64)
    p = _clients.get(cache_key)
    if p is None:
        kwargs = dict(
            app_id=c["app_id"],
            key=c["key"],
            secret=c["secret"],
            ssl=False,
            host="127.0.0.1",
        )
        if master_key_base64 is not None:
            kwargs["encryption_master_key_base64"] = master_key_base64
        p = pusher.Pusher(**kwargs)
        _clients[cache_key] = p
    return p


def _text(v):
    return v.decode("ascii") if isinstance(v, bytes) else v


def sign(c):
    ts = c["timestamp"]
    if not isinstance(ts, int) or isinstance(ts, bool):
        raise ValueError("timestamp must be an integer number of seconds")
    method = c["method"]
    if method not in (pusher.http.GET, pusher.http.POST):
        raise ValueError("unsupported method: %r" % (method,))
    body = c.get("body")
    # pusher.http.Request.__init__ would build the POST body itself
    # (json.dumps(params)) and so cannot sign exact caller-supplied bytes. We
    # therefore set the attributes its __init__ sets (same names, same types)
    # and call the SDK's own _generate_auth(), which does all of the signing:
    # body_md5, auth_* params, sorted query string, HMAC.
    req = pusher.http.Request.__new__(pusher.http.Request)
    req.client = client(c)._pusher_client
    req.method = method
    req.path = c["path"]
    req.params = dict(c.get("params") or {})
    req.query_params = dict(c.get("params") or {})
    if body is None:
        req.body = bytes()  # what Request.__init__ uses for GET
    else:
        req.body = body.encode("utf-8")
    with mock.patch("time.time", return_value=float(ts)):
        req._generate_auth()
    return {
        "auth_signature": req.query_params["auth_signature"],
        "body_md5": req.query_params.get("body_md5"),
    }


def private_auth(c):
    r = client(c).authenticate(c["channel"], c["socket_id"])
    return {"auth": r["auth"]}


def presence_auth(c):
    data = {"user_id": c["user_id"]}
    if c.get("user_info") is not None:
        data["user_info"] = c["user_info"]
    r = client(c).authenticate(c["channel"], c["socket_id"], data)
    return {"auth": r["auth"], "channel_data": r["channel_data"]}


def user_auth(c):
    p = client(c)
    if not hasattr(p, "authenticate_user"):
        raise NotImplementedError("unsupported")
    r = p.authenticate_user(c["socket_id"], c["user_data"])
    return {"auth": r["auth"], "user_data": r["user_data"]}


def encrypted_auth(c):
    r = client(c, c["master_key_base64"]).authenticate(c["channel"], c["socket_id"])
    if "shared_secret" not in r:
        raise ValueError("SDK returned no shared_secret")
    return {"auth": r["auth"], "shared_secret": _text(r["shared_secret"])}


def webhook(c):
    try:
        r = client(c).validate_webhook(c["webhook_key"], c["signature"], c["body"])
    except Exception:
        # The SDK raises instead of returning None for some invalid inputs
        # (non-object JSON body, non-ASCII signature); treat as invalid.
        return {"valid": False}
    return {"valid": r is not None}


def decrypt(c):
    master = pusher.crypto.parse_master_key(None, c["master_key_base64"])
    key = pusher.crypto.generate_shared_secret(c["channel"].encode("utf-8"), master)
    payload = json.loads(c["data"])
    nonce = base64.b64decode(payload["nonce"], validate=True)
    box = base64.b64decode(payload["ciphertext"], validate=True)
    if len(nonce) != nacl.secret.SecretBox.NONCE_SIZE:
        raise ValueError("nonce must be %d bytes, got %d" % (nacl.secret.SecretBox.NONCE_SIZE, len(nonce)))
    try:
        plain = nacl.secret.SecretBox(key).decrypt(box, nonce)
    except nacl.exceptions.CryptoError as e:
        raise ValueError("secretbox decrypt failed: %s" % e)
    return {"plaintext": plain.decode("utf-8")}


HANDLERS = {
    "sign": sign,
    "private_auth": private_auth,
    "presence_auth": presence_auth,
    "user_auth": user_auth,
    "encrypted_auth": encrypted_auth,
    "webhook": webhook,
    "decrypt": decrypt,
}


def run_case(line):
    try:
        c = json.loads(line)
    except ValueError as e:
        return {"id": None, "kind": None, "error": "invalid case JSON: %s" % e}
    if not isinstance(c, dict):
        return {"id": None, "kind": None, "error": "case is not a JSON object"}
    out = {"id": c.get("id"), "kind": c.get("kind")}
    try:
        h = HANDLERS.get(out["kind"]) if isinstance(out["kind"], str) else None
        if h is None:
            raise ValueError("unsupported kind: %r" % (out["kind"],))
        out.update(h(c))
    except Exception as e:  # one bad case must not stop the run
        msg = str(e) or type(e).__name__
        out["error"] = msg if msg == "unsupported" else "%s: %s" % (type(e).__name__, msg)
    return out


def main():
    if len(sys.argv) > 1:
        with open(sys.argv[1], "r", encoding="utf-8") as f:
            text = f.read()
    else:
        text = sys.stdin.buffer.read().decode("utf-8")
    out = sys.stdout
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        out.write(json.dumps(run_case(line)) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
