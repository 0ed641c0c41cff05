"""hostile18: run every case of tests/data/hostile18/cases.toml and tests/data/hostile18b/cases.toml (ids h18b_...)
as a subprocess and check the outcome it must give.

The cases were written from the README alone; each states the exit status, the verdict per graded part, a
wall-clock bound and "no traceback". Cases marked ``full = true`` run only with SYMCONV_FUZZ=full.
"""
import csv
import glob
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ("hostile18", "hostile18b")  # the second README-only campaign joins the same runner
CASES = [dict(c, corpus=name) for name in CORPORA
         for c in tomllib.loads((ROOT / "tests" / "data" / name / "cases.toml").read_text(encoding="utf-8"))["case"]]
FULL = os.environ.get("SYMCONV_FUZZ") == "full"
MEMORY = 4 * 1024 ** 3  # address-space cap per run: a blow-up fails instead of swapping the machine


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _big_homework(path):
    import random
    rnd = random.Random(18)
    x = [[[rnd.randint(-9, 9) for _ in range(32)] for _ in range(32)] for _ in range(2)]
    h = [[[[rnd.randint(-2, 2) for _ in range(3)] for _ in range(3)] for _ in range(2)] for _ in range(2)]
    path.write_text(
        'title = "2x32x32 (hostile18)"\n[input]\nx = %s\n[conv]\nh = %s\n[fc]\nout_features = 10\nweight = "1/1000"\n'
        "bias = %s\n[loss]\ntarget = 4\n" % (json.dumps(x), json.dumps(h), json.dumps([f"{i}/10" for i in range(10)])),
        encoding="utf-8")


def _setup(tmp, steps):
    for s in steps:
        kind = s["kind"]
        path = tmp / s["path"] if "path" in s else None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "copy":
            dst = tmp / s["dst"]
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(tmp / s["src"], dst)
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "symlink":
            os.symlink(s["target"], path)
        elif kind == "dir":
            path.mkdir()
        elif kind == "sparse":
            with open(path, "wb") as f:
                f.truncate(s["size"])
        elif kind == "repeat":
            path.write_text(s["head"] + s["unit"] * s["count"] + s["tail"], encoding="utf-8")
        elif kind == "gen_big_homework":
            _big_homework(path)
        else:
            raise ValueError(kind)


def _verdicts(parts):
    """{part: verdict} from --json's parts (a dict for one sheet, a list inside "students" for a class)."""
    if isinstance(parts, dict):
        return {k: v["verdict"] for k, v in parts.items()}
    return {p["part"]: p["verdict"] for p in parts}


def _failed_checks(out):
    """Names of the checks with "passed": false anywhere in --json's output (all of them if it is not JSON)."""
    try:
        data = json.loads(out)
    except ValueError:
        return ["stdout is not JSON"]
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("passed") is False:
                found.append(str(node.get("name", node.get("check", "?"))))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(data)
    return found


def _accepts(expected, got):
    return got in expected if isinstance(expected, list) else got == expected


WORKERS = int(os.environ.get("SYMCONV_HOSTILE_JOBS", "2"))


def _run_case(case, tmp_path):
    """Run one case in tmp_path; returns (run or None, elapsed)."""
    shutil.copytree(ROOT / "tests" / "data" / case["corpus"], tmp_path / "corpus")
    _setup(tmp_path, case.get("setup", []))
    cmd = [sys.executable, "-m", "symconv", *case["args"]]
    mode = case.get("stdout_mode")
    if mode == "devfull":
        cmd = ["sh", "-c", 'exec "$@" >/dev/full', "sh", *cmd]
    elif mode == "closed":
        cmd = ["sh", "-c", 'exec "$@" >&-', "sh", *cmd]
    elif mode == "head":
        cmd = ["sh", "-c", '"$@" | head -n 1 >/dev/null', "sh", *cmd]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(case.get("env", {}))
    bound = case.get("bound", 30)
    start = time.monotonic()
    try:
        run = subprocess.run(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, timeout=bound + 30, preexec_fn=_limit)
    except subprocess.TimeoutExpired:
        run = None
    return run, time.monotonic() - start


@pytest.fixture(scope="session")
def hostile18_runs(request, tmp_path_factory):
    """Run the selected cases up front, WORKERS at a time (2 cores: about half the wall time of one at a time)."""
    from concurrent.futures import ThreadPoolExecutor
    wanted = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "case" in callspec.params and getattr(item, "originalname", "") == "test_hostile18":
            case = callspec.params["case"]
            if not case.get("full") or FULL:
                wanted.append(case)
    folders = {c["id"]: tmp_path_factory.mktemp(c["id"][:40]) for c in wanted}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {c["id"]: pool.submit(_run_case, c, folders[c["id"]]) for c in wanted}
        return {cid: (f.result(), folders[cid]) for cid, f in futures.items()}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] if c["corpus"] == "hostile18" else "h18b_" + c["id"] for c in CASES])
def test_hostile18(case, hostile18_runs):
    if case.get("full") and not FULL:
        pytest.skip("long case: SYMCONV_FUZZ=full")
    (run, elapsed), tmp_path = hostile18_runs[case["id"]]
    bound = case.get("bound", 30)
    if run is None:
        pytest.fail(f"{case['id']}: still running after {bound + 30} s (bound {bound} s)")
    out = (run.stdout or b"").decode("utf-8", "replace")
    err = (run.stderr or b"").decode("utf-8", "replace")
    problems = []
    if "Traceback" in err or "Traceback" in out:
        problems.append("traceback: " + err[-800:])
    if elapsed > bound:
        problems.append(f"took {elapsed:.1f} s, bound {bound} s")
    if "exit" in case and not _accepts(case["exit"], run.returncode):
        problems.append(f"exit {run.returncode}, expected {case['exit']}")
    if "exit_in" in case and run.returncode not in case["exit_in"]:
        problems.append(f"exit {run.returncode}, expected one of {case['exit_in']}")
    if case.get("exit_nonzero") and run.returncode == 0:
        problems.append("exit 0 after a failed write")
    for s in case.get("stderr_has", []):
        if s.lower() not in err.lower():
            problems.append(f"stderr does not mention {s!r}: {err[-400:]!r}")
    if case.get("stderr_empty") and err.strip():
        problems.append(f"stderr not empty: {err[-400:]!r}")
    for s in case.get("stdout_has", []):
        if s not in out:
            problems.append(f"stdout does not contain {s!r}: {out[-400:]!r}")
    for s in case.get("stdout_lacks", []):
        if s in out:
            problems.append(f"stdout contains {s!r}")
    for pattern, needles in case.get("files_lack", {}).items():
        for f in glob.glob(str(tmp_path / pattern)):
            text = Path(f).read_text(encoding="utf-8", errors="replace")
            for s in needles:
                if s in text:
                    problems.append(f"{Path(f).name} contains {s!r}")
    for p in case.get("files_absent", []):
        if (tmp_path / p).exists() and any((tmp_path / p).iterdir()):
            problems.append(f"{p} written although the input was refused")
    if "csv_safe" in case and not (tmp_path / case["csv_safe"]).is_file():
        problems.append(f"{case['csv_safe']} not written")
    elif "csv_safe" in case:
        with open(tmp_path / case["csv_safe"], newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                for cell in row:
                    if cell[:1] in ("=", "+", "@", "\t", "\r"):
                        problems.append(f"gradebook cell starts a formula: {cell!r}")
    for p, n in case.get("csv_rows", {}).items():
        if not (tmp_path / p).is_file():
            problems.append(f"{p} not written")
            continue
        with open(tmp_path / p, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        if len(rows) != n + 1:
            problems.append(f"{p}: {len(rows) - 1} data rows, expected {n}")
    if case.get("failed_implies_nonzero"):
        texts = [out] + [Path(f).read_text(encoding="utf-8", errors="replace") for f in glob.glob(str(tmp_path / "out" / "*.md"))]
        if any("FAILED" in t for t in texts) and run.returncode == 0:
            problems.append("a check says FAILED but the exit status is 0")
    if case.get("no_failed") and _failed_checks(out):
        problems.append("checks failed: " + ", ".join(_failed_checks(out))[:400])
    if "verdicts" in case or "students" in case or "json_float" in case:
        try:
            data = json.loads(out)
        except ValueError:
            problems.append(f"stdout is not JSON: {out[:300]!r} {err[-300:]!r}")
            data = None
        if data is not None and "verdicts" in case:
            got = _verdicts(data.get("parts", {}))
            for part, want in case["verdicts"].items():
                g = got.get(part, "missing")
                if not _accepts(want, g):
                    detail = data["parts"].get(part, {}).get("detail", "") if isinstance(data.get("parts"), dict) else ""
                    problems.append(f"{part}: {g}, expected {want} ({detail[:200]})")
        if data is not None and "students" in case:
            students = {s["student"]: _verdicts(s["parts"]) for s in data.get("students", [])}
            for name, parts in case["students"].items():
                if name not in students:
                    problems.append(f"student {name} not graded")
                    continue
                for part, want in parts.items():
                    g = students[name].get(part, "missing")
                    if not _accepts(want, g):
                        problems.append(f"{name}.{part}: {g}, expected {want}")
        if data is not None and "json_float" in case:
            for part, (value, tol) in case["json_float"].items():
                g = data["parts"][part]["float"]
                if not isinstance(g, (int, float)) or abs(g - value) > tol:
                    problems.append(f"{part}: float {g}, expected {value} +- {tol}")
    assert not problems, f"{case['id']} (exit {run.returncode}, {elapsed:.1f} s): " + "; ".join(problems)
