#!/usr/bin/env python3
"""Validate .github/workflows/ci.yml without GitHub: it parses as YAML, has
the shape Actions needs, runs on ubuntu-latest and in a Debian 12 container
with a 64 MB /dev/shm, uses only pinned well-known actions, and every `run`
command is one the repository or the image has: make targets that the
Makefile defines, programs that exist on Debian 12."""
import re
import shutil
import sys

try:
    import yaml
except ImportError:
    print("[SKIP] python3-yaml is not installed (apt-get install python3-yaml)")
    print("workflow: 0 passed, 0 failed")
    sys.exit(0)

top = sys.argv[1] if len(sys.argv) > 1 else "."
passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("[OK]   " if ok else "[FAIL] ") + what)
    if ok:
        passed += 1
    else:
        failed += 1
    return ok


with open(f"{top}/Makefile") as f:
    targets = set(re.findall(r"^([A-Za-z0-9_.-]+):", f.read(), re.M))
known_actions = {"actions/checkout@v4", "actions/cache@v4"}
# what a step may run besides make: shipped by Debian 12 (and Ubuntu)
image_programs = {"apt-get"}

try:
    with open(f"{top}/.github/workflows/ci.yml") as f:
        wf = yaml.safe_load(f)
except (OSError, yaml.YAMLError) as e:
    check(False, f"ci.yml parses as YAML: {e}")
    print(f"workflow: {passed} passed, {failed} failed")
    sys.exit(1)
check(isinstance(wf, dict), "ci.yml is a mapping")
# YAML 1.1 reads the key `on` as True
triggers = wf.get("on", wf.get(True))
check(triggers is not None and "push" in triggers, f"runs on push (on: {triggers})")
jobs = wf.get("jobs") or {}
check(set(jobs) >= {"ubuntu", "container"}, f"jobs ubuntu and container ({', '.join(jobs)})")

for name, job in jobs.items():
    check(job.get("runs-on") == "ubuntu-latest", f"{name}: runs-on ubuntu-latest")
    check(isinstance(job.get("timeout-minutes"), int) and job["timeout-minutes"] <= 90,
          f"{name}: bounded by timeout-minutes ({job.get('timeout-minutes')})")
    steps = job.get("steps") or []
    check(steps and all(isinstance(s, dict) and ("uses" in s) != ("run" in s) for s in steps),
          f"{name}: {len(steps)} steps, each a `uses` or a `run`")
    runs = []
    for s in steps:
        if "uses" in s:
            check(s["uses"] in known_actions, f"{name}: action {s['uses']} is pinned and known")
            continue
        for cmd in re.split(r"&&|\|\||;|\n", s["run"]):
            words = cmd.split()
            if not words:
                continue
            runs.append(words)
            prog = words[0]
            if prog == "make":
                goals = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
                check(all(g in targets for g in goals),
                      f"{name}: `{' '.join(words)}`: make targets {goals or ['all']} exist")
            else:
                check(prog in image_programs or shutil.which(prog) is not None,
                      f"{name}: `{prog}` exists in the image")
    check(["make", "test"] in runs, f"{name}: runs the README's `make test`")

c = jobs.get("container", {}).get("container", {})
check(isinstance(c, dict) and c.get("image") == "debian:12", f"container job runs in debian:12 ({c})")
check("--shm-size=64m" in str(c.get("options", "")), "container job keeps Docker's 64 MB /dev/shm")
print(f"workflow: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
