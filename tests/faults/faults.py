#!/usr/bin/env python3
"""Fault injection against a running stack (tests/faults/run.sh starts it).

Each scenario drives real HTTP load through nginx at the pool, injects one
kind of fault, and checks what a user would see: statuses, bodies, rows in
the database and bytes in storage.  Every scenario prints one line with its
numbers (requests sent, failed, lost) and raises on a broken promise.

Environment: FB_BASE (http://127.0.0.1:PORT), FB_SVC (service token),
FB_STACK (tests/lib/stack.sh), FB_STACK_DIR, FLUXBASE_BIN, FB_WORKERS,
FB_REQUEST_TIMEOUT, FB_DISK (1 when storage is a small tmpfs).
Scenarios: kill9 pg_restart full_disk slowloris sighup overload garbage leaks.
"""

import hashlib
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

BASE = os.environ["FB_BASE"]
HOST, PORT = urllib.parse.urlsplit(BASE).hostname, urllib.parse.urlsplit(BASE).port
SVC = os.environ["FB_SVC"]
STACK = os.environ["FB_STACK"]
DIR = os.environ["FB_STACK_DIR"]
BIN = os.environ["FLUXBASE_BIN"]
WORKERS = int(os.environ.get("FB_WORKERS", "3"))
REQUEST_TIMEOUT = int(os.environ.get("FB_REQUEST_TIMEOUT", "4"))


class Broken(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Broken(what)


def request(method, path, body=b"", headers=None, timeout=30, raw=None):
    """One HTTP/1.1 request on its own connection: (status, headers, body).
    Status 0: the connection failed or was cut before a full answer."""
    if raw is None:
        head = "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n" % (
            method, path, HOST, PORT)
        for k, v in (headers or {}).items():
            head += "%s: %s\r\n" % (k, v)
        if body or method in ("POST", "PUT", "PATCH"):
            head += "Content-Length: %d\r\n" % len(body)
        raw = head.encode("latin-1") + b"\r\n" + body
    try:
        with socket.create_connection((HOST, PORT), timeout=timeout) as s:
            s.sendall(raw)
            chunks = []
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunks.append(c)
    except OSError:
        return 0, {}, b""
    data = b"".join(chunks)
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return 0, {}, b""
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return 0, {}, b""
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        out, buf = b"", rest
        while True:
            size_line, _, buf = buf.partition(b"\r\n")
            try:
                n = int(size_line.split(b";")[0], 16)
            except ValueError:
                return 0, hdrs, b""
            if n == 0:
                break
            if len(buf) < n + 2:
                return 0, hdrs, b""
            out, buf = out + buf[:n], buf[n + 2:]
        rest = out
    elif "content-length" in hdrs and method != "HEAD":
        if len(rest) < int(hdrs["content-length"]):
            return 0, hdrs, b""
    return status, hdrs, rest


def auth(token):
    return {"Authorization": "Bearer " + token}


def jreq(method, path, obj=None, token=SVC, extra=None, timeout=30):
    h = dict(auth(token)) if token else {}
    h["Content-Type"] = "application/json"
    h.update(extra or {})
    body = json.dumps(obj).encode() if obj is not None else b""
    return request(method, "/api/v1" + path, body, h, timeout)


def psql(sql):
    out = subprocess.run([STACK, DIR, "psql", "-tA", "-c", sql], check=True,
                         capture_output=True, text=True)
    return out.stdout


def master_pid():
    with open(os.path.join(DIR, "run", "fluxbase.pid")) as f:
        return int(f.read().strip())


def workers():
    pid = master_pid()
    try:  # fast enough to pick a victim every 100 ms
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]


def status():
    st, _, body = jreq("GET", "/status")
    check(st == 200, "status answered %d" % st)
    return json.loads(body)


def wait_healthy(seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        st, _, _ = request("GET", "/api/v1/health", timeout=5)
        if st == 200 and len(workers()) == WORKERS:
            return
        time.sleep(0.2)
    raise Broken("the pool did not come back to %d healthy workers" % WORKERS)


def new_user():
    email = "fault-%s@example.com" % uuid.uuid4().hex[:12]
    st, _, body = jreq("POST", "/auth/signup", {"email": email, "password": "fault password 1"},
                       token=None)
    check(st == 201, "signup answered %d %s" % (st, body[:200]))
    return email, json.loads(body)["access_token"], json.loads(body)["user"]["id"]


def ensure_bucket(name):
    st, _, body = jreq("POST", "/storage/buckets/" + name, {"public": False})
    check(st in (201, 409), "bucket %s: %d %s" % (name, st, body[:200]))


class Load:
    """Threads running op() until stop; counts statuses."""

    def __init__(self, nthreads, op):
        self.op, self.stop, self.lock = op, threading.Event(), threading.Lock()
        self.sent, self.ok, self.failures, self.log = 0, 0, {}, []
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(nthreads)]

    def run(self, i):
        rnd = random.Random(i * 7919 + int(time.time()))
        while not self.stop.is_set():
            t0 = time.time()
            st = self.op(rnd)
            with self.lock:
                self.sent += 1
                self.log.append((t0, time.time(), st))
                if 200 <= st < 300:
                    self.ok += 1
                else:
                    self.failures[st] = self.failures.get(st, 0) + 1

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()

    @property
    def failed(self):
        return sum(self.failures.values())


# ---- scenarios ------------------------------------------------------------


def kill9():
    """kill -9 a random worker every 100 ms during 20 s of reads, writes and
    uploads: only requests on killed workers fail, nothing acknowledged is lost."""
    psql("CREATE TABLE IF NOT EXISTS fault_writes (id bigserial PRIMARY KEY, tag text UNIQUE NOT NULL)")
    ensure_bucket("faults")
    acked_writes, acked_uploads, lock = set(), {}, threading.Lock()

    def op(rnd):
        kind = rnd.choice(["read", "read", "write", "write", "upload"])
        if kind == "read":
            return jreq("GET", "/tables/fault_writes?order=id.desc&limit=5")[0]
        if kind == "write":
            tag = uuid.uuid4().hex
            st = jreq("POST", "/tables/fault_writes", {"tag": tag})[0]
            if 200 <= st < 300:
                with lock:
                    acked_writes.add(tag)
            return st
        data = os.urandom(rnd.randint(1, 64 * 1024))
        key = "k/%s.bin" % uuid.uuid4().hex
        st = request("POST", "/api/v1/storage/faults/" + key, data,
                     dict(auth(SVC), **{"Content-Type": "application/octet-stream"}))[0]
        if 200 <= st < 300:
            with lock:
                acked_uploads[key] = hashlib.sha256(data).hexdigest()
        return st

    kills = 0
    with Load(4, op) as load:
        deadline = time.time() + 20
        tick = time.time()
        while time.time() < deadline:
            tick += 0.1
            time.sleep(max(0.0, tick - time.time()))
            pids = workers()
            if pids:
                try:
                    os.kill(random.choice(pids), signal.SIGKILL)
                    kills += 1
                except ProcessLookupError:
                    pass
    wait_healthy()
    bad = {k: v for k, v in load.failures.items() if k not in (0, 502, 503, 504)}
    check(not bad, "failures other than a cut worker's: %s" % bad)
    check(load.failed <= kills, "%d failed requests for %d kills" % (load.failed, kills))
    check(load.ok > 0, "nothing succeeded")
    rows = set(psql("SELECT tag FROM fault_writes").split())
    lost_rows = acked_writes - rows
    lost_blobs = 0
    for key, digest in acked_uploads.items():
        st, _, body = request("GET", "/api/v1/storage/faults/" + key, headers=auth(SVC))
        if st != 200 or hashlib.sha256(body).hexdigest() != digest:
            lost_blobs += 1
    # Uploads cut by a kill leave temporary files or unreferenced blobs; the
    # sweep removes them and fails only if a row points at a missing blob.
    gc = subprocess.run([BIN, "-c", os.path.join(DIR, "fluxbase.conf"), "storage-gc",
                         "--min-age", "0"], capture_output=True, text=True)
    check(gc.returncode == 0, "storage-gc: %s%s" % (gc.stdout, gc.stderr))
    print("kill9: %d requests sent, %d failed, %d workers killed, %d writes and %d uploads "
          "acknowledged, lost %d rows and %d objects; %s" % (
              load.sent, load.failed, kills, len(acked_writes), len(acked_uploads),
              len(lost_rows), lost_blobs, gc.stdout.strip()))
    check(not lost_rows and lost_blobs == 0, "acknowledged data lost")
    for key in acked_uploads:  # the space is the next scenarios'
        jreq("DELETE", "/storage/faults/" + key)


def pg_restart():
    """PostgreSQL stops in the middle of a load and comes back: 503 during
    the outage only, full recovery without touching the pool."""
    pool_before = master_pid(), sorted(workers())

    def op(rnd):
        return jreq("GET", "/tables/fault_writes?limit=1", timeout=20)[0]

    with Load(3, op) as load:
        time.sleep(2)
        t_stop = time.time()
        subprocess.run([STACK, DIR, "pg-stop"], check=True)
        time.sleep(3)
        subprocess.run([STACK, DIR, "pg-start"], check=True)
        t_up = time.time()
        time.sleep(6)
    recovered = t_up + 4
    early = [e for e in load.log if e[2] != 200 and e[0] < t_stop]
    wrong = [e for e in load.log if e[2] not in (200, 503)]
    late = [e for e in load.log if e[2] != 200 and e[0] > recovered]
    outage = sum(1 for e in load.log if e[2] == 503)
    print("pg_restart: %d requests sent, %d answered 503 during the outage, %d other failures, "
          "%d failures after recovery" % (load.sent, outage, len(wrong), len(late)))
    check(not early, "failures before PostgreSQL stopped: %s" % early[:3])
    check(not wrong, "statuses other than 200/503: %s" % wrong[:3])
    check(not late, "still failing after PostgreSQL was back: %s" % late[:3])
    check(outage > 0, "the outage was not seen")
    check(master_pid() == pool_before[0], "the pool was restarted")
    states = [p["state"] for p in status()["processes"]]
    check(all(s in ("idle", "running") for s in states), "stuck workers: %s" % states)


def full_disk():
    """Storage on a small tmpfs: uploads past the space get 507, leave
    nothing behind, and what is stored still downloads."""
    if os.environ.get("FB_DISK") != "1":
        print("full_disk: skipped (mounting a tmpfs needs root)")
        return
    ensure_bucket("disk")
    root = os.path.join(DIR, "storage")
    stored, sent, full = {}, 0, 0
    for i in range(100):
        data = os.urandom(8 * 1024 * 1024)
        st, _, body = request("POST", "/api/v1/storage/disk/f%d" % i, data,
                              dict(auth(SVC), **{"Content-Type": "application/octet-stream"}))
        sent += 1
        if st == 201:
            stored["f%d" % i] = hashlib.sha256(data).hexdigest()
            continue
        check(st == 507 and b"INSUFFICIENT_STORAGE" in body, "upload %d: %d %s" % (i, st, body[:200]))
        full += 1
        if full >= 3:
            break
    check(full >= 1, "the disk never filled (%d uploads stored)" % len(stored))
    big = os.urandom(24 * 1024 * 1024)
    st, _, body = request("POST", "/api/v1/storage/disk/big", big,
                          dict(auth(SVC), **{"Content-Type": "application/octet-stream"}))
    sent += 1
    check(st == 507, "a 24 MiB upload on a full disk: %d %s" % (st, body[:200]))
    tmp = os.listdir(os.path.join(root, "tmp")) if os.path.isdir(os.path.join(root, "tmp")) else []
    blobs = sum(len(fs) for _, _, fs in os.walk(os.path.join(root, "blobs")))
    rows = int(psql("SELECT count(*) FROM storage.objects WHERE bucket_id = 'disk'").strip())
    lost = 0
    for key, digest in stored.items():
        st, _, body = request("GET", "/api/v1/storage/disk/" + key, headers=auth(SVC))
        lost += st != 200 or hashlib.sha256(body).hexdigest() != digest
    print("full_disk: %d uploads sent, %d stored, %d refused with 507, %d temporary files and "
          "%d extra blobs left, lost %d" % (sent, len(stored), full + 1, len(tmp),
                                            blobs - len(stored) - other_blobs(), lost))
    check(not tmp, "partial uploads left: %s" % tmp)
    check(rows == len(stored), "%d rows for %d stored objects" % (rows, len(stored)))
    check(lost == 0, "stored objects no longer download")
    # Space freed: uploads work again (and the next scenarios have room).
    for key in stored:
        check(jreq("DELETE", "/storage/disk/" + key)[0] == 204, "delete")
    st, _, _ = request("POST", "/api/v1/storage/disk/again", os.urandom(1024 * 1024),
                       dict(auth(SVC), **{"Content-Type": "application/octet-stream"}))
    check(st == 201, "no upload after freeing space: %d" % st)
    jreq("DELETE", "/storage/disk/again")


def other_blobs():
    return int(psql("SELECT count(*) FROM storage.objects WHERE bucket_id <> 'disk'").strip())


def open_slow(n, head):
    socks = []
    for _ in range(n):
        s = socket.create_connection((HOST, PORT), timeout=5)
        s.sendall(head.encode())
        socks.append(s)
    return socks


def trickle(socks, byte, seconds, pause, probe):
    """One more byte on every slow connection each pause seconds; with probe,
    a health request each time must answer 200.  Returns the slowest."""
    worst, t0 = 0.0, time.time()
    while time.time() - t0 < seconds:
        for s in socks:
            try:
                s.send(byte)
            except OSError:
                pass
        if probe:
            t1 = time.time()
            st = request("GET", "/api/v1/health", timeout=10)[0]
            worst = max(worst, time.time() - t1)
            check(st == 200, "health among slow clients: %d" % st)
        time.sleep(pause)
    return worst


def slowloris():
    """Slow clients: trickled headers and trickled table bodies never reach a
    worker; trickled uploads (streamed to storage) hold at most the workers
    nginx hands them, until request_timeout."""
    socks = open_slow(60, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
    worst = trickle(socks, b"X", 3, 0.1, True)
    for s in socks:
        s.close()
    print("slowloris: 60 connections trickling headers, slowest request meanwhile %.3f s" % worst)
    check(worst < 2, "requests slowed to %.2f s by clients trickling headers" % worst)

    # Bodies outside storage: nginx reads them whole first, so slow ones
    # hold no worker at all.
    before = status()["timed_out_requests"]
    socks = open_slow(WORKERS * 4, "POST /api/v1/tables/fault_writes HTTP/1.1\r\nHost: x\r\n"
                      "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                      "Content-Length: 100000\r\n\r\n" % SVC)
    worst = trickle(socks, b" ", REQUEST_TIMEOUT + 2, 0.3, True)
    for s in socks:
        s.close()
    check(status()["timed_out_requests"] == before, "a slow table body reached a worker")
    print("slowloris: %d connections trickling bodies to a table: no worker held, slowest "
          "request meanwhile %.3f s" % (len(socks), worst))
    check(worst < 2, "requests slowed to %.2f s by slow table bodies" % worst)

    # Storage uploads stream: a slow one holds its worker until request_timeout.
    ensure_bucket("faults")
    before = status()["timed_out_requests"]
    nslow = WORKERS + 1
    slow = []
    for i in range(nslow):
        slow += open_slow(1, "POST /api/v1/storage/faults/slow-%d HTTP/1.1\r\nHost: x\r\n"
                          "Authorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n"
                          "Content-Length: 100000\r\n\r\n" % (i, SVC))
    trickle(slow, b"x", REQUEST_TIMEOUT + 3, 0.3, False)
    # By now every worker a slow body held has been killed and replaced.
    t1 = time.time()
    st = request("GET", "/api/v1/health", timeout=15)[0]
    waited = time.time() - t1
    for s in slow:
        s.close()
    wait_healthy()
    timed_out = status()["timed_out_requests"] - before
    print("slowloris: %d connections trickling bodies, %d requests ended by request_timeout=%ds, "
          "a new request then took %.3f s" % (nslow, timed_out, REQUEST_TIMEOUT, waited))
    check(st == 200, "health after the slow bodies: %d" % st)
    check(1 <= timed_out <= nslow, "%d requests timed out for %d slow clients" % (timed_out, nslow))
    for i in range(nslow):
        check(jreq("GET", "/storage/faults/slow-%d" % i)[0] == 404, "a slow upload was stored")


def sighup():
    """SIGHUP every second during 20 s of reads and writes: nothing fails."""
    def op(rnd):
        if rnd.random() < 0.3:
            return jreq("POST", "/tables/fault_writes", {"tag": uuid.uuid4().hex})[0]
        return jreq("GET", "/tables/fault_writes?order=id.desc&limit=3")[0]

    reloads = 0
    with Load(4, op) as load:
        deadline = time.time() + 20
        while time.time() < deadline:
            time.sleep(1)
            os.kill(master_pid(), signal.SIGHUP)
            reloads += 1
    wait_healthy()
    print("sighup: %d requests sent during %d reloads, %d failed" % (load.sent, reloads, load.failed))
    check(load.failed == 0, "failures during reloads: %s" % load.failures)


# wrk's Lua side of overload(): counts 200s, JSON 503s with Retry-After and
# anything else, and prints them with wrk's own error counts and latencies.
WRK_SCRIPT = r"""
local threads = {}
function setup(t) table.insert(threads, t) end
function init(args) ok, s503, bad503, other = 0, 0, 0, 0 end
function response(status, headers, body)
  if status == 200 then ok = ok + 1
  elseif status == 503 and headers["Retry-After"] and body:find('"code":"', 1, true) then
    s503 = s503 + 1
  elseif status == 503 then bad503 = bad503 + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local n = {ok = 0, s503 = 0, bad503 = 0, other = 0}
  for _, t in ipairs(threads) do for k in pairs(n) do n[k] = n[k] + t:get(k) end end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d %d\n", n.ok, n.s503, n.bad503,
    n.other, e.connect, e.read, e.write, e.timeout, latency:percentile(50),
    latency:percentile(99)))
end
"""


def overload():
    """2,048 clients at once for 10 s on one read route, far more than the
    workers: every answer is 200 or a JSON 503 with Retry-After (never
    nginx's 502), no connection is refused or reset, /health answers within
    1 s right after, and the status page saw the listen queue fill."""
    psql("CREATE TABLE IF NOT EXISTS fault_writes (id bigserial PRIMARY KEY, tag text UNIQUE NOT NULL)")
    clients, seconds = 2048, 10
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(WRK_SCRIPT)
        lua.flush()
        # wrk holds a descriptor per client.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = hard if hard == resource.RLIM_INFINITY else min(hard, 65536)
        out = subprocess.run(
            ["wrk", "-t2", "-c%d" % clients, "-d%ds" % seconds, "--timeout", "10s", "-s", lua.name,
             "-H", "Authorization: Bearer " + SVC, BASE + "/api/v1/tables/fault_writes?limit=1"],
            capture_output=True, text=True, timeout=seconds + 60,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard)))
    t0 = time.time()
    st = request("GET", "/api/v1/health", timeout=5)[0]
    health = time.time() - t0
    line = [l for l in out.stdout.splitlines() if l.startswith("RESULT ")]
    check(out.returncode == 0 and line, "wrk failed: %s%s" % (out.stdout[-500:], out.stderr[-500:]))
    ok, s503, bad503, other, e_conn, e_read, e_write, e_timeout, p50, p99 = map(
        int, line[0].split()[1:])
    total = ok + s503 + bad503 + other
    q = status()
    print("overload: %d clients for %d s: %d answers (%d/s), 200: %d, JSON 503: %d (%.2f%%), "
          "other: %d; connect/read/write errors %d/%d/%d, timeouts %d; p50 %.1f ms, p99 %.1f ms; "
          "max_listen_queue %s of %s; /health after it: %.3f s"
          % (clients, seconds, total, total // seconds, ok, s503, 100.0 * s503 / max(total, 1),
             bad503 + other, e_conn, e_read, e_write, e_timeout, p50 / 1000.0, p99 / 1000.0,
             q.get("max_listen_queue"), q.get("listen_queue_len"), health))
    check(ok > 0 and bad503 == 0 and other == 0, "answers other than 200 and a JSON 503 with "
          "Retry-After: %d bad 503s, %d others" % (bad503, other))
    check(e_conn + e_read + e_write + e_timeout == 0, "connections refused, reset or timed out")
    check(st == 200 and health < 1.0, "/health after the burst: %d in %.3f s" % (st, health))
    check((q.get("max_listen_queue") or 0) > 0, "the status page never saw a listen queue")


def garbage():
    """10,000 requests with random garbage in method, path, query, headers
    and body: no 5xx, no worker crash."""
    respawns = status()["respawns"]
    rnd0 = random.Random(4242)
    routes = ["tables/notes", "tables/notes/1", "tables/box", "tables/nope", "tables/extra.thing",
              "auth/signin", "auth/signup", "auth/user", "auth/refresh", "auth/magiclink",
              "auth/verify", "storage/faults/k/x", "storage/buckets/faults", "storage/faults",
              "storage/faults/a/signed-url", "openapi.json", "status", "metrics", "health", ""]
    pieces = ["eq.", "in.(", ")", ",", "or=(", "and=(", "not.", "select=", "order=", "limit=",
              "offset=", "*", "%00", "%ff", "%2e%2e", "..", "/", "\\", "'", "\"", ";", "--",
              "%22", "{", "}", "(", "is.null", "fts(", "cs.", "&", "=", "é", "\u202e", "%"]
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND",
               "get", "G%T", "POST ", "X" * 40]
    ctypes = ["application/json", "multipart/form-data; boundary=b", "multipart/form-data",
              "text/plain", "application/octet-stream", "garbage/\x01", "multipart/form-data; boundary=" + "z" * 80]

    def junk(rnd, n):
        return "".join(rnd.choice(pieces) if rnd.random() < 0.7 else
                       chr(rnd.randint(0x20, 0x7e)) for _ in range(rnd.randint(0, n)))

    def op(rnd):
        method = rnd.choice(methods)
        path = "/api/v1/" + rnd.choice(routes) + junk(rnd, 6)
        if rnd.random() < 0.7:
            path += "?" + junk(rnd, 12)
        path = "".join(c if 0x21 <= ord(c) < 0x7f else urllib.parse.quote(c) for c in path)
        h = {}
        if rnd.random() < 0.5:
            h["Authorization"] = rnd.choice(["Bearer " + SVC[:rnd.randint(0, len(SVC))],
                                             "Bearer " + junk(rnd, 40), "Basic x", "Bearer",
                                             "Bearer " + SVC[:-3] + "abc"])
        if rnd.random() < 0.6:
            h["Content-Type"] = rnd.choice(ctypes)
        for name in ("Range", "Prefer", "If-None-Match", "X-Request-Id", "Accept", "Origin",
                     "If-Modified-Since", "X-Metadata", "Cache-Control"):
            if rnd.random() < 0.15:
                h[name] = junk(rnd, 20)
        body = b""
        r = rnd.random()
        if r < 0.3:
            body = os.urandom(rnd.randint(0, 2048))
        elif r < 0.6:
            body = junk(rnd, 60).encode()
        elif r < 0.8:
            body = json.dumps({junk(rnd, 5): junk(rnd, 10), "email": junk(rnd, 10),
                               "password": junk(rnd, 10)}).encode()
        elif r < 0.9:
            body = b"--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + os.urandom(
                rnd.randint(0, 300)) + rnd.choice([b"\r\n--b--\r\n", b"", b"\r\n--b"])
        head = "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" % (method, path)
        for k, v in h.items():
            head += "%s: %s\r\n" % (k, v)
        if body or rnd.random() < 0.5:
            head += "Content-Length: %d\r\n" % len(body)
        raw = head.encode("utf-8", "replace") + b"\r\n" + body
        st = request(method, path, raw=raw, timeout=30)[0]
        return 200 if 0 < st < 500 else st

    total = 10000
    counter = {"n": 0}
    lock = threading.Lock()
    statuses = {}

    def runner(i):
        rnd = random.Random(rnd0.random())
        while True:
            with lock:
                if counter["n"] >= total:
                    return
                counter["n"] += 1
            st = op(rnd)
            with lock:
                statuses[st] = statuses.get(st, 0) + 1

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_healthy()
    after = status()["respawns"]
    five = {k: v for k, v in statuses.items() if k >= 500 or k == 0}
    print("garbage: %d requests sent, %d answered below 500, 5xx or cut: %s, respawns %d -> %d"
          % (total, statuses.get(200, 0), five or "none", respawns, after))
    check(not five, "server errors: %s" % five)
    check(after == respawns, "workers died: respawns %d -> %d" % (respawns, after))


def leaks():
    """Bad tokens, bad signatures and policy denials answer an error and no data."""
    _, tok_a, id_a = new_user()
    _, tok_b, _ = new_user()
    secret_text = "private note " + uuid.uuid4().hex
    st, _, body = jreq("POST", "/tables/notes", {"body": secret_text}, token=tok_a)
    check(st == 201, "note: %d %s" % (st, body[:200]))
    note_id = json.loads(body)["id"]
    ensure_bucket("leaks")
    st, _, _ = request("POST", "/api/v1/storage/leaks/a.txt", secret_text.encode(),
                       dict(auth(tok_a), **{"Content-Type": "text/plain"}))
    check(st == 201, "upload %d" % st)
    head, payload, sig = tok_a.split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    forged = [head + "." + payload + "." + flipped, head + "." + payload + ".", tok_a[:-1],
              "x.y.z", head + "." + payload]
    paths = ["/tables/notes", "/tables/notes/%d" % note_id, "/auth/user", "/storage/leaks/a.txt",
             "/storage/leaks"]
    checked = 0
    for t in forged:
        for p in paths:
            st, _, body = jreq("GET", p, token=t)
            checked += 1
            check(st == 401, "%s with a bad token: %d" % (p, st))
            o = json.loads(body)
            check(set(o) <= {"error", "code", "message", "details", "hint"},
                  "extra fields in %s" % body[:200])
            check(secret_text.encode() not in body and id_a.encode() not in body, "data leaked")
    # Policy denial: B asks for A's row and A's object.
    for p in ["/tables/notes/%d" % note_id, "/tables/notes?id=eq.%d" % note_id,
              "/storage/leaks/a.txt", "/storage/leaks?prefix="]:
        st, _, body = jreq("GET", p, token=tok_b)
        checked += 1
        check(st in (200, 404), "%s as another user: %d" % (p, st))
        check(secret_text.encode() not in body and id_a.encode() not in body,
              "%s leaked A's data to B: %s" % (p, body[:200]))
        if st == 200:
            check(json.loads(body) in ([], {"objects": []}) or b"a.txt" not in body,
                  "%s answered rows to B: %s" % (p, body[:200]))
    print("leaks: %d requests with bad tokens or another user's token, no data in any answer"
          % checked)


# full_disk first: it needs the small volume empty, and leaves it so.
SCENARIOS = {f.__name__: f for f in (full_disk, kill9, pg_restart, slowloris, sighup, leaks,
                                      overload, garbage)}

if __name__ == "__main__":
    names = sys.argv[1:] or list(SCENARIOS)
    failed = []
    for name in names:
        t0 = time.time()
        try:
            SCENARIOS[name]()
        except Broken as e:
            print("%s: FAILED: %s" % (name, e))
            failed.append(name)
        except Exception as e:  # a bug here is a failure too
            print("%s: FAILED with %r" % (name, e))
            failed.append(name)
        print("  (%s: %.1f s)" % (name, time.time() - t0))
        sys.stdout.flush()
    sys.exit(1 if failed else 0)
