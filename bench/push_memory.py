#!/usr/bin/env python3
"""Benchmark of delivery's memory: the peak RSS of `push --dry-run`, `push`, `verify` and
`undo` on an N-user conversion, for this revision and, beside it, an older binary, in one run.

FusionAuth cannot run here: the target is the test stand-in (tests/standin/), fresh for each
binary. The dry run reads the whole plan and looks every user up by id; the push imports them
all (files of 10,000); verify looks every user up and compares it; undo deletes them all.

Usage: bench/push_memory.py [N] [OLD_BINARY]
    N           users (default 1000000)
    OLD_BINARY  a release binary of an older revision to measure beside this one (optional;
                bench/push_memory.sh builds one)
The release binary of this revision must be built (cargo build --release -p cognito-fusionauth-cli).
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from push import BIN, KEY, STANDIN, configure, convert_pool  # noqa: E402


def peak_rss_mb(argv, env):
    """Runs argv; its exit status, peak resident set (MB, GNU time's count of the command
    itself, not of this process forking it) and the last lines of its stderr."""
    run = subprocess.run(["/usr/bin/time", "-f", "maxrss-kb %M", *argv], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = run.stderr.strip().splitlines()
    kb = int(lines[-1].split()[-1])
    return run.returncode, kb / 1024, "\n".join(lines[-4:-1])


def measure(binary, out, port, env):
    """Peak RSS of each command with `binary` on the folder `out`, into a fresh stand-in:
    a dry run, the push, verify, then undo (its push folders removed first)."""
    subprocess.run(["rm", "-rf", os.path.join(out, "push")], check=True)
    configure(port)
    url = "http://127.0.0.1:%d" % port
    rows = {}
    for name, command, extra in (("push --dry-run", "push", ["--dry-run"]), ("push", "push", []),
                                 ("verify", "verify", []), ("undo", "undo", ["--yes"])):
        rows[name] = peak_rss_mb([binary, command, out, "--url", url, *extra], env)
    return rows


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    old = sys.argv[2] if len(sys.argv) > 2 else None
    if not os.access(BIN, os.X_OK):
        sys.exit("bench: build the release binary first: cargo build --release -p cognito-fusionauth-cli")
    with tempfile.TemporaryDirectory() as tmp:
        out = convert_pool(n, tmp)
        standin = subprocess.Popen([sys.executable, STANDIN, "--port", "0"], stdout=subprocess.PIPE)
        try:
            port = int(standin.stdout.readline().split()[-1])
            env = dict(os.environ, FUSIONAUTH_API_KEY=KEY)
            results = {"this revision": measure(BIN, out, port, env)}
            if old:
                results["older (%s)" % os.path.basename(old)] = measure(old, out, port, env)
        finally:
            standin.kill()
            standin.wait()
    names = list(results)
    print("delivery of %d users: peak RSS (MB) of the CLI, against the FusionAuth stand-in" % n)
    print()
    print("| command | " + " | ".join(names) + (" | ratio |" if old else " |"))
    print("|---|" + "---:|" * (len(names) + (1 if old else 0)))
    for command in results[names[0]]:
        cells = []
        for name in names:
            code, mb, err = results[name][command]
            if code not in (0, 1):
                print("bench: %s with %s exited %d:\n%s" % (command, name, code, err), file=sys.stderr)
            cells.append("%.0f" % mb + ("" if code in (0, 1) else " (exit %d)" % code))
        ratio = " | %.2fx" % (results[names[0]][command][1] / results[names[1]][command][1]) if old else ""
        print("| %s | %s%s |" % (command, " | ".join(cells), ratio))


if __name__ == "__main__":
    main()
