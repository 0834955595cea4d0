#!/usr/bin/env python3
"""Checks of tests/scale/run.sh, through the balancer (nginx) in front of two hosts.

    load.py ratelimit | kill | spread

ratelimit  3 x limit sign-in attempts for one account, from 6 clients at once,
           spread by nginx over both hosts: the number let through (200) is
           within 10 % of [auth] rate_limit_signin, the rest 429, and each
           host answered at least a quarter of them.
kill       8 clients of mixed load (list reads, downloads, row writes, uploads; one
           client uploads 6-7 MiB objects, multipart uploads on S3)
           for 5 s, then every process of host 1 (its master and workers) is
           killed with SIGKILL, then 5 s more.  Every read succeeds (nginx
           retries it on host 2) but one whose answer had begun streaming at
           the kill (no balancer can retry that: nginx must log the cut and
           the client's retry must succeed), every failed request is a write
           or upload that was in flight at the kill, every acknowledged row is in the
           database and every acknowledged object downloads byte-exact, before
           and after storage-gc (run once, on host 2).
spread     after run.sh restarted host 1: nginx sends requests to it again.

Environment (from run.sh): FB_BASE, FB_SVC, FB_SIGNIN_LIMIT, FB_UPSTREAM_LOG
(nginx's log of upstream addresses), FB_NGINX_ERROR_LOG, FB_HOST1, FB_HOST2 (addr:port),
FB_KILL_NS (host 1's namespace), FB_PSQL, FB_GC (commands).
Each check prints one line of figures and exits 1 on a broken promise.
"""

import hashlib
import http.client
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

BASE = urllib.parse.urlsplit(os.environ["FB_BASE"])
SVC = os.environ["FB_SVC"]
HOSTS = (os.environ["FB_HOST1"], os.environ["FB_HOST2"])
UPSTREAM_LOG = os.environ["FB_UPSTREAM_LOG"]
BUCKET = "scale"
BIG = 6 << 20  # run.sh sets s3_multipart_threshold = 5M


def fail(what):
    print("scale: FAIL: " + what, file=sys.stderr)
    sys.exit(1)


def check(cond, what):
    if not cond:
        fail(what)


def request(method, path, body=None, headers=None, timeout=30):
    """(status, body); status 0 when the connection failed or was cut (noted
    in FAILURES with the request's id, which nginx's upstream log names)."""
    conn = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=timeout)
    rid = uuid.uuid4().hex
    try:
        h = {"Connection": "close", "X-Scale-Id": rid}
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        return r.status, r.read()
    except (OSError, http.client.HTTPException) as e:
        FAILURES.append((time.time(), method, path, repr(e)[:120], rid))
        return 0, b""
    finally:
        conn.close()


# Every request that failed without an answer: (time, method, path, what
# the client saw, its id).
FAILURES = []


def svc(extra=None):
    h = {"Authorization": "Bearer " + SVC}
    h.update(extra or {})
    return h


def jreq(method, path, obj=None, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return request(method, "/api/v1" + path, json.dumps(obj).encode() if obj is not None else None, h)


def psql(sql):
    out = subprocess.run(shlex.split(os.environ["FB_PSQL"]) + ["-tA", "-c", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout


def upstream_lines(since=0.0):
    """nginx's upstream log: (time, method, status, [upstream addresses], path, id)."""
    out = []
    with open(UPSTREAM_LOG) as f:
        for line in f:
            parts = line.split('"')
            head, tail = parts[0].split(), parts[-1].split()
            if len(head) < 3 or float(head[0]) < since:
                continue
            addrs = [a.strip() for a in parts[1].split(",") if a.strip()]
            out.append((float(head[0]), head[1], int(head[2]), addrs, tail[0], tail[-1]))
    return out


def upstream_wait(since, n, match):
    """nginx logs a request after its answer went out: wait for n lines."""
    deadline = time.time() + 3
    while True:
        lines = [l for l in upstream_lines(since) if match(l)]
        if len(lines) >= n or time.time() > deadline:
            return lines
        time.sleep(0.05)


def run_threads(n, fn):
    threads = [threading.Thread(target=fn, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# ---- ratelimit ---------------------------------------------------------------


def ratelimit():
    limit = int(os.environ["FB_SIGNIN_LIMIT"])
    email = "scale-%s@example.com" % uuid.uuid4().hex[:12]
    cred = {"email": email, "password": "scale password 1"}
    st, body = jreq("POST", "/auth/signup", cred)
    check(st == 201, "signup answered %d %s" % (st, body[:200]))
    attempts, statuses, lock = 3 * limit, [], threading.Lock()
    todo = list(range(attempts))
    t0 = time.time()

    def client(_):
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            st, _ = jreq("POST", "/auth/signin", cred)
            with lock:
                statuses.append(st)

    run_threads(6, client)
    passed, limited = statuses.count(200), statuses.count(429)
    others = sorted(s for s in statuses if s not in (200, 429))
    per_host = {h: 0 for h in HOSTS}
    for _, _, _, addrs, _, _ in upstream_wait(t0, attempts, lambda l: l[1] == "POST" and l[4].endswith("/auth/signin")):
        if addrs:
            per_host[addrs[-1]] = per_host.get(addrs[-1], 0) + 1
    print("ratelimit: %d sign-in attempts for one account and address, limit %d: %d let through, "
          "%d refused (429), other %s; host 1 answered %d, host 2 %d" % (
              attempts, limit, passed, limited, others, per_host[HOSTS[0]], per_host[HOSTS[1]]))
    check(not others, "statuses other than 200 and 429: %s" % others)
    check(passed <= limit * 1.1, "%d let through for a limit of %d (more than 10 %% over): "
          "the limit does not hold across hosts" % (passed, limit))
    check(passed >= limit * 0.9, "%d let through for a limit of %d: refused too early" % (passed, limit))
    for h in HOSTS:
        check(per_host[h] >= attempts // 4, "host %s answered only %d of %d attempts" % (h, per_host[h], attempts))


# ---- kill ----------------------------------------------------------------------


class Load:
    """Clients running op(rnd, client) until stop; every request logged as
    (kind, t0, t1, status, detail)."""

    def __init__(self, nthreads, op):
        self.op, self.stop, self.lock, self.log = op, threading.Event(), threading.Lock(), []
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(nthreads)]

    def run(self, i):
        rnd = random.Random(i * 7919 + int(time.time()))
        while not self.stop.is_set():
            t0 = time.time()
            kind, st, detail = self.op(rnd, i)
            with self.lock:
                self.log.append((kind, t0, time.time(), st, detail))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()


def upload(key, data):
    return request("POST", "/api/v1/storage/%s/%s" % (BUCKET, key), data,
                   svc({"Content-Type": "application/octet-stream"}))[0]


def download(key, digest):
    """The download's status, -2 for a 200 with other bytes (the detail noted)."""
    st, body = request("GET", "/api/v1/storage/%s/%s" % (BUCKET, key), headers=svc())
    if st == 200 and hashlib.sha256(body).hexdigest() != digest:
        DETAILS.append("%s: 200 with %d other bytes at %.3f" % (key, len(body), time.time()))
        return -2
    return st


def download_ok(key, digest):
    return download(key, digest) == 200


DETAILS = []
READ_PATH = "/tables/scale_writes?order=id.desc&limit=5"


def list_read():
    st, body = jreq("GET", READ_PATH, headers=svc())
    return st if st != 200 or body.startswith(b"[") else -1


def kill_host():
    """SIGKILL to every process of host 1's namespace: (pids killed, t0, t1)."""
    t0 = time.time()
    out = subprocess.run(["ip", "netns", "pids", os.environ["FB_KILL_NS"]],
                         capture_output=True, text=True, check=True)
    pids = [int(p) for p in out.stdout.split()]
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # Gone (their sockets closed) once the namespace has no process left.
    while time.time() < t0 + 5:
        out = subprocess.run(["ip", "netns", "pids", os.environ["FB_KILL_NS"]],
                             capture_output=True, text=True, check=True)
        if not out.stdout.split():
            break
        time.sleep(0.005)
    else:
        fail("host 1's processes outlived SIGKILL by 5 s")
    return pids, t0, time.time()


def seed():
    st, body = jreq("POST", "/storage/buckets/" + BUCKET, {"public": False}, svc())
    check(st in (201, 409), "bucket: %d %s" % (st, body[:200]))
    seeded = {}
    for i in range(16):
        data = os.urandom(random.randint(1, 16 * 1024))
        key = "seed/%d.bin" % i
        check(upload(key, data) in (200, 201), "seed upload %s failed" % key)
        seeded[key] = hashlib.sha256(data).hexdigest()
    return seeded


class Run:
    """The mixed load with host 1 killed in its middle, and what it acknowledged."""

    def __init__(self, seeded):
        self.seeded, self.keys = seeded, sorted(seeded)
        self.rows, self.objects, self.lock, self.big = set(), {}, threading.Lock(), 0

    def op(self, rnd, client):
        kind = rnd.choice(["read", "read", "download", "download", "write", "write", "upload"])
        if client == 0:  # large uploads: past the S3 backend's multipart threshold
            kind = "upload"
        if kind == "read":
            return kind, list_read(), READ_PATH
        if kind == "download":
            key = rnd.choice(self.keys)
            return kind, download(key, self.seeded[key]), key
        if kind == "write":
            tag = uuid.uuid4().hex
            st = jreq("POST", "/tables/scale_writes", {"tag": tag}, svc())[0]
            if 200 <= st < 300:
                with self.lock:
                    self.rows.add(tag)
            return kind, st, tag
        data = os.urandom(rnd.randint(1, 64 * 1024) if client else BIG + rnd.randint(0, 1 << 20))
        key = "load/%s.bin" % uuid.uuid4().hex
        st = upload(key, data)
        if 200 <= st < 300:
            with self.lock:
                self.objects[key] = hashlib.sha256(data).hexdigest()
                self.big += client == 0
        return kind, st, key

    def run(self):
        with Load(8, self.op) as load:
            time.sleep(5)
            self.pids, self.k0, self.k1 = kill_host()
            time.sleep(5)
        self.end = time.time()
        self.log = load.log
        check(len(self.pids) >= 2, "host 1 had %d processes to kill (a master and workers expected)" %
              len(self.pids))

    def inflight(self, r):
        # Started before host 1 was gone, or so soon after that nginx had
        # not yet found it dead (it learns on its next connection there).
        return r[1] <= self.k1 + NOTICE_S and r[2] >= self.k0

    def when(self, rs):
        return [(r[0], round(r[1] - self.k0, 3), round(r[2] - self.k0, 3), r[3]) for r in rs[:5]]


# How long after the kill a request may still meet the dead host.
NOTICE_S = 0.1


def cut_path(r):
    """The path of a read as the client asked it."""
    return "/storage/%s/%s" % (BUCKET, r[4]) if r[0] == "download" else READ_PATH


def cut_failure(r):
    """The client's note of the read r's failure: (time, method, path, what, id)."""
    found = [f for f in FAILURES if f[2].endswith(cut_path(r)) and r[1] <= f[0] <= r[2] + 0.001]
    return min(found, key=lambda f: r[2] - f[0]) if found else None


def from_dead_host(r):
    """Did nginx have the read r from host 1, the host killed?  Its line in
    nginx's upstream log, found by the request's id, names the host last.
    (nginx does not always log an error for such a cut: a FastCGI answer
    that stops at a closed connection mid-body may end as if complete on
    its side.)"""
    f = cut_failure(r)
    return f is not None and any(l[5] == f[4] and l[3] and l[3][-1] == HOSTS[0]
                                 for l in upstream_lines(r[1] - 1))


def cut_details(run, cut):
    """What the client saw of each cut read, and nginx's line for it."""
    out = []
    for r in cut[:3]:
        f = cut_failure(r)
        ups = [(round(l[0] - run.k0, 3), l[1], l[2], l[3]) for l in upstream_lines(r[1] - 1)
               if f is not None and l[5] == f[4]]
        out.append("%s %s at %.3f-%.3f s: client %s; nginx %s" % (
            r[0], cut_path(r), r[1] - run.k0, r[2] - run.k0, f and f[3], ups or "no line"))
    return "; ".join(out)


def judge_requests(run):
    """Reads succeed (nginx retried them) unless their answer had begun when
    the host died: such a cut read is a connection cut at the kill, nginx
    logged it, and the client's own retry succeeds.  Only writes in flight at
    the kill fail.  Returns the figures."""
    log = run.log
    reads = [r for r in log if r[0] in ("read", "download")]
    failed_writes = [r for r in log if r[0] in ("write", "upload") and not 200 <= r[3] < 300]
    bad_reads = [r for r in reads if r[3] != 200]
    cut = [r for r in bad_reads if r[3] == 0 and run.inflight(r)]
    check(len(cut) == len(bad_reads), "%d reads or downloads failed (%s; %s): nginx did not retry them" % (
        len(bad_reads) - len(cut), run.when([r for r in bad_reads if r not in cut]), DETAILS[:5]))
    strays = [r for r in cut if not from_dead_host(r)]
    check(not strays, "%d reads cut at the kill were not answers nginx had from host 1: %s" % (
        len(strays), cut_details(run, strays)))
    for r in cut:
        st = download(r[4], run.seeded[r[4]]) if r[0] == "download" else list_read()
        check(st == 200, "a read cut at the kill answered %d when the client retried it" % st)
    outside = [r for r in failed_writes if not run.inflight(r)]
    check(not outside, "%d failed writes were not in flight at the kill: %s" % (len(outside), run.when(outside)))
    check(all(r[3] in (0, 502, 503, 504) for r in failed_writes), "a failed write answered %s" %
          sorted({r[3] for r in failed_writes}))
    # After the kill: started once nginx could know host 1 was gone (see
    # Run.inflight), every request succeeds.
    after = [r for r in log if r[1] > run.k1 + NOTICE_S]
    failed_after = [r for r in after if not 200 <= r[3] < 300]
    check(after and not failed_after, "%d requests after the kill failed: %s" % (
        len(failed_after), run.when(failed_after)))
    lines = [l for l in upstream_lines(log[0][1]) if l[0] <= run.end + 0.5]
    retried = [l for l in lines if len(l[3]) > 1]
    check(retried, "nginx retried no request on the other host: the failover was not exercised")
    check(all(200 <= l[2] < 300 for l in retried), "a request nginx retried failed: %s" %
          [l for l in retried if not 200 <= l[2] < 300][:3])
    served = {h: sum(1 for l in lines if l[0] > run.k1 + 0.5 and l[3] and l[3][-1] == h) for h in HOSTS}
    check(served[HOSTS[0]] == 0, "host 1 answered after it was killed")
    return ("%d requests (%d reads and downloads, %d writes and uploads) from 8 clients; host 1's %d "
            "processes killed at %.1f s (gone %.0f ms later); failed: %d writes or uploads (%s), all in "
            "flight at the kill (%d were), %d reads cut mid-answer at the kill (%s); nginx retried %d "
            "requests on host 2 (%d reads), all answered; after the kill host 2 answered %d, host 1 0" % (
                len(log), len(reads), len(log) - len(reads), len(run.pids), run.k0 - log[0][1],
                (run.k1 - run.k0) * 1000, len(failed_writes), sorted({r[3] for r in failed_writes}),
                sum(1 for r in log if r[0] in ("write", "upload") and run.inflight(r)), len(cut),
                "each retried by the client: 200" if cut else "none", len(retried),
                sum(1 for l in retried if l[1] in ("GET", "HEAD")), served[HOSTS[1]]))


def judge_data(run):
    """Every acknowledged row and object is there, before and after storage-gc."""
    lost_rows = run.rows - set(psql("SELECT tag FROM scale_writes").split())
    lost_objects = [k for k, d in run.objects.items() if not download_ok(k, d)]
    gc_cmd = shlex.split(os.environ["FB_GC"])
    gc = subprocess.run(gc_cmd + ["--min-age", "0"], capture_output=True, text=True)
    check(gc.returncode == 0, "storage-gc: %s%s" % (gc.stdout, gc.stderr))
    gc_check = subprocess.run(gc_cmd + ["--check"], capture_output=True, text=True)
    everything = list(run.objects.items()) + list(run.seeded.items())
    lost_after_gc = [k for k, d in everything if not download_ok(k, d)]
    check(not lost_rows, "acknowledged rows lost: %s" % sorted(lost_rows)[:5])
    check(not lost_objects, "acknowledged objects lost or changed: %s %s" % (lost_objects[:5], DETAILS[:5]))
    check(not lost_after_gc, "storage-gc removed acknowledged objects: %s" % lost_after_gc[:5])
    check(gc_check.returncode == 0, "storage-gc --check: %s%s" % (gc_check.stdout, gc_check.stderr))
    return ("acknowledged: %d rows, %d objects (%d of 6-7 MiB); lost: %d rows, %d objects, %d after "
            "storage-gc (%s)" % (len(run.rows), len(run.objects), run.big, len(lost_rows), len(lost_objects), len(lost_after_gc),
                                 gc.stdout.strip().replace("\n", "; ")))


def kill():
    run = Run(seed())
    run.run()
    figures = judge_requests(run)
    print("kill: " + figures + "; " + judge_data(run))


# ---- spread --------------------------------------------------------------------


def spread():
    """Host 1 is back: within 10 s nginx sends it requests again, all answered."""
    t0 = time.time()
    while time.time() < t0 + 10:
        for _ in range(10):
            st, _ = request("GET", "/api/v1/health")
            check(st == 200, "health answered %d with host 1 back" % st)
        served = {h: 0 for h in HOSTS}
        for _, _, status, addrs, path, _ in upstream_lines(t0):
            if path == "/api/v1/health" and addrs and status == 200:
                served[addrs[-1]] = served.get(addrs[-1], 0) + 1
        if all(served[h] > 0 for h in HOSTS):
            print("spread: host 1 back; in %.1f s host 1 answered %d, host 2 %d" % (
                time.time() - t0, served[HOSTS[0]], served[HOSTS[1]]))
            return
        time.sleep(0.5)
    fail("host 1 restarted but nginx sent it nothing in 10 s")


if __name__ == "__main__":
    {"ratelimit": ratelimit, "kill": kill, "spread": spread}[sys.argv[1]]()
