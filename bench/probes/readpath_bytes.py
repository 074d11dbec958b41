#!/usr/bin/env python3
"""Read-path probe (#15, A1): bytes replicate reads per change, before (one answer of the whole
prefix / every host check) and after (replicate_source_bytes_total per shard/scope).

Usage: python3 bench/probes/readpath_bytes.py HOSTS NODES  (CONSUL_BIN, JAVA_HOME/bin/java,
replicate/target/replicate.jar). Two Consul 1.8 dev agents on loopback; HOSTS host records
(manifest/hosts/host-<uuid>) and host services registered through the catalog over NODES fake
agent nodes; 50 record changes then 50 check flips at 20/s. Prints one JSON document.
The reproducible figure is ./edge bench readpath (A2); this is the quick check behind BENCHMARKS.md.
"""
import json, os, random, subprocess, sys, tempfile, time, urllib.parse, urllib.request, uuid, socket, re
N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
NODES = int(sys.argv[2]) if len(sys.argv) > 2 else 10
CHANGES = 50
CONSUL = os.environ.get("CONSUL_BIN", "consul")
JAVA = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if "JAVA_HOME" in os.environ else "java"
JAR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "replicate", "target", "replicate.jar")
WORK = tempfile.mkdtemp(prefix="readpath-probe-")
def port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
procs = []
def agent(dc):
    http = port()
    d = os.path.join(WORK, dc)
    os.makedirs(d, exist_ok=True)
    hcl = f'ports {{ http = {http}, dns = -1, serf_lan = {port()}, serf_wan = {port()}, server = {port()}, grpc = -1 }} limits {{ http_max_conns_per_client = 4096 }}'
    p = subprocess.Popen([CONSUL, "agent", "-dev", "-datacenter", dc, "-node", dc + "-srv", "-bind", "127.0.0.1", "-hcl", hcl],
                         stdout=open(d + "/log", "w"), stderr=subprocess.STDOUT)
    procs.append(p)
    url = f"http://127.0.0.1:{http}"
    for _ in range(100):
        try:
            if urllib.request.urlopen(url + "/v1/status/leader").read().strip() not in (b'""', b''):
                return url
        except Exception:
            pass
        time.sleep(0.2)
    raise SystemExit("consul did not start")
def req(url, method="GET", body=None):
    data = None if body is None else json.dumps(body).encode()
    r = urllib.request.Request(url, data=data, method=method)
    return urllib.request.urlopen(r).read()
try:
    src = agent("msrc"); dst = agent("mdst")
    ids = ["host-" + str(uuid.uuid4()) for _ in range(N)]
    rec = lambda i, v: json.dumps({"id": i, "kind": "host", "version": "1.0", "gateway": "gateway-1", "labels": {"owner": "o" * 20}, "location": {"city": "Maun", "country": "BW", "lat": -19.98, "lon": 23.42}, "v": v})
    import base64
    t0 = time.time()
    for k in range(0, N, 64):
        ops = [{"KV": {"Verb": "set", "Key": "manifest/hosts/" + i, "Value": base64.b64encode(rec(i, 0).encode()).decode()}} for i in ids[k:k + 64]]
        req(src + "/v1/txn", "PUT", ops)
    for g in range(5):
        req(src + f"/v1/kv/manifest/gateways/gateway-{g}", "PUT", {"id": f"gateway-{g}"})
    def register(i, n, status):
        req(src + "/v1/catalog/register", "PUT", {"Node": f"agent-{n}", "Address": "127.0.0.1",
            "Service": {"ID": i, "Service": i, "Tags": ["host"], "Port": 1},
            "Check": {"CheckID": "service:" + i, "Name": "ttl", "ServiceID": i, "Status": status, "Output": "ok"}})
    for k, i in enumerate(ids):
        register(i, k % NODES, "passing")
    print(f"seeded {N} records and services over {NODES} nodes in {time.time()-t0:.0f} s", flush=True)
    full_kv = len(urllib.request.urlopen(src + "/v1/kv/manifest/?recurse").read())
    filt = urllib.parse.quote('ServiceTags contains "host" or CheckID == "serfHealth"')
    full_hosts = len(urllib.request.urlopen(src + "/v1/health/state/any?filter=" + filt).read())
    node_hosts = len(urllib.request.urlopen(src + "/v1/health/node/agent-0?filter=" + filt).read())
    mport = port()
    rp = subprocess.Popen([JAVA, "-Xmx512m", "-jar", JAR, "--consul", dst, "--source", "msrc=" + src, "--metrics", f"127.0.0.1:{mport}"],
                          stdout=open(os.path.join(WORK, "replicate.log"), "w"), stderr=subprocess.STDOUT)
    procs.append(rp)
    def status():
        try:
            v = json.loads(req(dst + "/v1/kv/replicate/status/msrc"))[0]["Value"]
            return json.loads(base64.b64decode(v)).get("state")
        except Exception:
            return None
    t0 = time.time()
    while status() != "ok":
        if time.time() - t0 > 300: raise SystemExit("replicate not ok in 300 s")
        time.sleep(0.5)
    print(f"replicate in sync after {time.time()-t0:.1f} s", flush=True)
    time.sleep(3)
    def metrics():
        out = {}
        for line in urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics").read().decode().splitlines():
            m = re.match(r'replicate_source_bytes_total\{.*scope="([^"]*)".*\} (\S+)', line)
            if m: out[m.group(1)] = float(m.group(2))
        return out
    def cpu():
        with open(f"/proc/{rp.pid}/stat") as f:
            parts = f.read().split(")")[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    def delta(a, b):
        d = {k: b.get(k, 0) - a.get(k, 0) for k in b}
        return {k: v for k, v in d.items() if v > 0}
    results = {}
    for kind in ("kv", "check"):
        before = metrics(); c0 = cpu(); t0 = time.time()
        for n in range(CHANGES):
            i = random.choice(ids)
            if kind == "kv":
                req(src + "/v1/kv/manifest/hosts/" + i, "PUT", json.loads(rec(i, n + 1)))
            else:
                k = ids.index(i)
                register(i, k % NODES, "critical" if n % 2 == 0 else "passing")
            time.sleep(0.05)
        time.sleep(3)
        after = metrics(); c1 = cpu(); el = time.time() - t0
        d = delta(before, after)
        total = sum(d.values())
        results[kind] = {"bytes_per_change": total / CHANGES, "by_scope": {k: round(v / CHANGES) for k, v in sorted(d.items(), key=lambda x: -x[1])[:3] + [x for x in d.items() if "rest" in x[0]]},
                         "replicate_cpu_pct": round(100 * (c1 - c0) / el, 1)}
    load = open("/proc/loadavg").read().split()[:3]
    print(json.dumps({"hosts": N, "nodes": NODES, "changes": CHANGES, "before_kv_bytes_per_change": full_kv,
                      "before_hosts_bytes_per_change": full_hosts, "one_node_answer": node_hosts, "after": results, "load": load}, indent=1))
finally:
    for p in reversed(procs):
        p.terminate()
    for p in procs:
        try: p.wait(10)
        except Exception: p.kill()
