"""Write the six sheets of tests/data/class21/sheets/ and expected.toml from /tmp/c21/solutions.json
(solve_class21.py's own solution of each student's problem sheet), before any grading run.
Usage: python make_sheets.py tests/data/class21"""
import json, math, sys
from fractions import Fraction as F
from pathlib import Path
import numpy as np

S = json.loads(Path("/tmp/c21/solutions.json").read_text())
OUT = Path(sys.argv[1])
PARTS = ["conv1", "relu1", "fc1", "p", "L", "dL_dp", "dL_dfc1", "dL_drelu1", "dL_dconv1", "dL_dW", "dL_dh", "dL_dx"]

def dec(v, sig):
    if v == 0:
        return "0"
    d = max(sig - 1 - math.floor(math.log10(abs(v))), 1)
    s = f"{v:.{d}f}"
    assert float(s) != 0, v
    return s

def frac(s, style="frac"):
    q = F(s)
    if q.denominator == 1:
        return str(q.numerator)
    if style == "dec" and (10 ** 6) % q.denominator == 0:
        return str(float(q)) if len(str(float(q))) < 10 else str(q)
    sign = "-" if q < 0 else ""
    return f"{sign}\\frac{{{abs(q.numerator)}}}{{{q.denominator}}}"

def mat(rows, env="bmatrix"):
    body = " \\\\ ".join(" & ".join(r) for r in rows)
    return f"\\begin{{{env}}} {body} \\end{{{env}}}"

def entries(part, src, sig, exact_style="frac", neg=False):
    """the entries of a part as strings, flat, and its shape"""
    d = src[part]
    shape = d["shape"]
    if d["exact"] is not None:
        vals = [frac(e, exact_style) for e in d["exact"]]
    else:
        flat = np.array(d["value"], dtype=float).reshape(-1)
        zero = d["zero"] if d["zero"] is not None else [False] * len(flat)
        if part == "dL_dp":
            zero = [v == 0 for v in flat]
        vals = [("0" if z else dec(-v if neg else v, sig)) for v, z in zip(flat, zero)]
    return vals, shape

def tensor(vals, shape, env="bmatrix", sep=",\\ "):
    """channel matrices separated by commas; vectors as (..)^T; a matrix as one matrix"""
    if len(shape) == 0:
        return vals[0]
    if len(shape) == 1:
        return "\\left(" + ", ".join(vals) + "\\right)^T"
    if len(shape) == 2:
        return mat([vals[i * shape[1]:(i + 1) * shape[1]] for i in range(shape[0])], env)
    n = shape[-1] * shape[-2]
    chans = [vals[k * n:(k + 1) * n] for k in range(len(vals) // n)]
    return sep.join(mat([c[i * shape[-1]:(i + 1) * shape[-1]] for i in range(shape[-2])], env) for c in chans)

def eq(label, body):
    return f"\\begin{{equation}}\\label{{ans:{label}}}\n  {body}\n\\end{{equation}}\n"

NAMES = {"conv1": "\\mathrm{conv}_1", "relu1": "\\mathrm{relu}_1", "fc1": "\\mathrm{fc}_1", "p": "p", "L": "L",
         "dL_dp": "\\frac{\\partial L}{\\partial p}", "dL_dfc1": "\\frac{\\partial L}{\\partial \\mathrm{fc}_1}",
         "dL_drelu1": "\\frac{\\partial L}{\\partial \\mathrm{relu}_1}",
         "dL_dconv1": "\\frac{\\partial L}{\\partial \\mathrm{conv}_1}", "dL_dW": "\\frac{\\partial L}{\\partial W}",
         "dL_dh": "\\frac{\\partial L}{\\partial h}", "dL_dx": "\\frac{\\partial L}{\\partial x}"}

def answer(part, src, sig, env="bmatrix", exact_style="frac", neg=False, approx=False):
    vals, shape = entries(part, src, sig, exact_style, neg)
    rel = "\\approx" if approx and src[part]["exact"] is None else "="
    return f"{NAMES[part]} {rel} {tensor(vals, shape, env)}"

HEAD_EN = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
HEAD_ZH = "\\documentclass{ctexart}\n\\usepackage{amsmath}\n\\begin{document}\n"
END = "\\end{document}\n"
expected = {}

def expect(stem, part, verdict, mistake=None, note=None):
    expected.setdefault(stem, {})[part] = (verdict, mistake, note)

# ---- s101 李明轩: Chinese, everything right: fractions, 5 significant digits, bmatrix, h per channel ----
def s101():
    stem, T = "s101_limingxuan", S["s101"]["true"]
    out = ["% student = \"s101\"\n", HEAD_ZH, "\\section*{作业 11 第 2 题（李明轩，s101）}\n",
           "卷积（互相关，Valid）后 ReLU，再全连接、softmax 和交叉熵。\n\n"]
    for part in PARTS:
        if part == "dL_dh":
            vals, shape = entries(part, T, 5)
            chans = [vals[k * 9:(k + 1) * 9] for k in range(4)]
            stm = [f"\\frac{{\\partial L}}{{\\partial h^{{({o + 1},{c + 1})}}}} = " + mat([chans[2 * o + c][3 * i:3 * i + 3] for i in range(3)])
                   for o in range(2) for c in range(2)]
            out.append("由 $\\partial L/\\partial h = x \\otimes \\partial L/\\partial \\mathrm{conv}_1$（逐通道）：\n")
            out.append(eq(part, ",\\quad ".join(stm[:2]) + ",\\\\ " if False else ",\\quad ".join(stm)))
        elif part == "L":
            out.append(eq(part, f"L = -\\ln p_3 \\approx {dec(T['L']['value'], 5)} \\quad \\text{{（自然对数）}}"))
        else:
            out.append(eq(part, answer(part, T, 5)))
        expect(stem, part, "correct")
    out.append(END)
    (OUT / "sheets" / f"{stem}.tex").write_text("".join(out))

# ---- s102 Siobhan O'Connor: English, pmatrix, 4 s.f.; dL_dW transposed, one entry of dL_dx wrong, dL_dh left out ----
def s102():
    stem, T = "s102_oconnor", S["s102"]["true"]
    out = ["% student = \"s102\"\n", HEAD_EN, "\\section*{Homework 11, problem 2 -- Siobhan O'Connor}\n"]
    for part in PARTS:
        if part == "dL_dh":
            out.append("% ran out of time for dL/dh\n")
            expect(stem, part, "missing")
            continue
        if part == "dL_dW":
            vals, shape = entries(part, T, 4)
            rows = [[vals[i * 8 + j] for i in range(5)] for j in range(8)]  # 8 x 5: relu1 times (p - y)^T
            out.append("Outer product of relu1 and $(p-y)$:\n")
            out.append(eq(part, "\\frac{\\partial L}{\\partial W} = \\mathrm{relu}_1 (p - y)^T = " + mat(rows, "pmatrix")))
            expect(stem, part, "wrong", "transposed")
            continue
        if part == "dL_dx":
            vals, shape = entries(part, T, 4)
            flat = np.array(T[part]["value"]).reshape(-1)
            k = int(np.argmax(np.abs(flat)))  # the largest entry, its sign dropped by a slip
            vals[k] = dec(-flat[k], 4)
            out.append(eq(part, f"{NAMES[part]} = " + tensor(vals, shape, "pmatrix")))
            expect(stem, part, "wrong", "one_entry", f"entry {k} (flat, channel-row-column) written with its sign flipped: {vals[k]}")
            continue
        out.append(eq(part, answer(part, T, 4, "pmatrix")))
        expect(stem, part, "correct")
    out.append(END)
    (OUT / "sheets" / f"{stem}.tex").write_text("".join(out))

# ---- s103 José Álvarez: kernel flipped (true convolution) in the forward pass and everything from it ----
def s103():
    stem, K = "s103_alvarez", S["s103"]["kernel_flipped"]
    out = ["% student = \"s103\"\n", HEAD_EN, "\\section*{HW 11 -- Jos\\'e \\'Alvarez (s103)}\n",
           "Convolution: I rotate each kernel by $180^\\circ$ before sliding it.\n"]
    for part in PARTS:
        if part in ("dL_dh", "dL_dx"):
            expect(stem, part, "missing")
            continue
        if part == "L":
            out.append(eq(part, f"L = -\\log p_3 \\approx {dec(K['L']['value'], 4)}"))
        else:
            out.append(eq(part, answer(part, K, 4, exact_style="dec", approx=True)))
        expect(stem, part, "wrong", "kernel_flipped")
    out.append(END)
    (OUT / "sheets" / f"{stem}.tex").write_text("".join(out))

# ---- s104 Priya Raman: softmax used as the gradient at fc1 and everything below; L written exactly ----
def s104():
    stem, T = "s104_raman", S["s104"]["true"]
    P = np.array(T["p"]["value"])
    out = ["% student = \"s104\"\n", HEAD_EN, "\\section*{Homework 11 (Priya Raman)}\n"]
    fc = [frac(e, "dec") for e in T["fc1"]["exact"]]
    for part in PARTS:
        if part == "L":
            t = S["s104"]["target"]
            body = "L = \\ln\\left(" + " + ".join(f"e^{{{v}}}" for v in fc) + f"\\right) - {fc[t]}" if not fc[t].startswith("-") else None
            body = body or ("L = \\ln\\left(" + " + ".join(f"e^{{{v}}}" for v in fc) + f"\\right) + {fc[t][1:]}")
            out.append(eq(part, body + f" \\approx {dec(T['L']['value'], 3)}"))
            expect(stem, part, "correct")
        elif part in ("dL_dfc1", "dL_drelu1", "dL_dconv1", "dL_dW", "dL_dh", "dL_dx"):
            out.append(eq(part, answer(part, SOFT, 3, "bmatrix")))
            expect(stem, part, "wrong", "softmax_for_gradient")
        else:
            out.append(eq(part, answer(part, T, 3, "bmatrix", exact_style="dec")))
            expect(stem, part, "correct")
    out.append(END)
    (OUT / "sheets" / f"{stem}.tex").write_text("".join(out))

# ---- s105 Lukas Schäfer: copied 李明轩's (s101's) right answers; wrong against his own numbers ----
def s105():
    stem, T = "s105_schaefer", S["s101"]["true"]
    out = ["% student = \"s105\"\n", HEAD_EN, "\\section*{Homework 11 -- Lukas Sch\\\"afer}\n"]
    for part in PARTS:
        vals, shape = entries(part, T, 4, "dec")
        out.append(f"\\[ {NAMES[part]} = {tensor(vals, shape)} \\label{{ans:{part}}} \\]\n")
        if part == "dL_dp":  # both students' dL/dp is zero but at the target: exactly one of 5 entries differs
            expect(stem, part, "wrong", "one_entry", "copied from s101's sheet; only the target entry is nonzero, so by README's rule exactly one entry differs (one_entry)")
        else:
            expect(stem, part, "wrong", None, "copied from s101's sheet: s101's true value, not s105's")
    out.append(END)
    (OUT / "sheets" / f"{stem}.tex").write_text("".join(out))

# ---- s106 王芳: Chinese, L with lg, dL/dp sign dropped and every gradient after it negated, dL/dx left out ----
def s106():
    stem, T = "s106_wangfang", S["s106"]["true"]
    t = S["s106"]["target"]
    out = ["% student = \"s106\"\n", HEAD_ZH, "\\section*{第 2 题 \\quad 王芳}\n"]
    for part in PARTS:
        if part == "dL_dx":
            expect(stem, part, "missing")
            continue
        if part == "L":
            v = -math.log10(T["p"]["value"][t])
            out.append(eq(part, f"L = -\\lg p_3 \\approx {dec(v, 4)}"))
            expect(stem, part, "wrong", "log_base_10")
        elif part.startswith("dL_"):
            out.append(eq(part, "\\boxed{" + answer(part, T, 4, "bmatrix", neg=True).split(" = ", 1)[1] + "}"
                          if part != "dL_dp" else answer(part, T, 4, "bmatrix", neg=True)))
            expect(stem, part, "wrong", "sign_flipped")
        else:
            out.append(eq(part, answer(part, T, 4, "bmatrix")))
            expect(stem, part, "correct")
    out.append(END)
    (OUT / "sheets" / f"{stem}.tex").write_text("".join(out))

# softmax-for-gradient values of s104, from p in place of p - y (same zero structure as relu1's mask)
def soft_values():
    import importlib.util
    spec = importlib.util.spec_from_file_location("solve", OUT / "solve_class21.py")
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    x, h, W, t = m.load(Path(sys.argv[2]) / "sheets" / "homework_s104.toml")
    T = S["s104"]["true"]
    conv1 = np.array([F(e) for e in T["conv1"]["exact"]], dtype=object).reshape(2, 2, 2)
    relu1 = np.array([F(e) for e in T["relu1"]["exact"]], dtype=object).reshape(2, 2, 2)
    P = np.array(T["p"]["value"])
    dr, dc, dW, dh, dx = m.backward_linear(P, W.astype(float), conv1.astype(float), relu1.astype(float), x.astype(float), h.astype(float))
    # exact zeros: W^T p is a positive combination only by accident; zero where the mask or relu1 is 0 / no tap
    mask = (conv1.astype(float) > 0)
    def z(a, structural):
        return structural.reshape(-1).tolist()
    d = {"dL_dfc1": {"value": P.tolist(), "shape": [5], "exact": None, "zero": [False] * 5},
         "dL_drelu1": {"value": dr.tolist(), "shape": [2, 2, 2], "exact": None, "zero": [False] * 8},
         "dL_dconv1": {"value": dc.tolist(), "shape": [2, 2, 2], "exact": None, "zero": (~mask).reshape(-1).tolist()},
         "dL_dW": {"value": dW.tolist(), "shape": [5, 8], "exact": None, "zero": np.outer(np.ones(5), relu1.astype(float).reshape(-1) == 0).astype(bool).reshape(-1).tolist()},
         "dL_dh": {"value": dh.tolist(), "shape": [2, 2, 3, 3], "exact": None, "zero": T["dL_dh"]["zero"]},
         "dL_dx": {"value": dx.tolist(), "shape": [2, 4, 4], "exact": None, "zero": T["dL_dx"]["zero"]}}
    # a zero of the true dL_dh / dL_dx (a linear form in p - y with every coefficient 0) is also 0 for p
    for k in ("dL_dh", "dL_dx"):
        for v, zz in zip(np.array(d[k]["value"]).reshape(-1), d[k]["zero"]):
            assert (abs(v) < 1e-12) == zz or not zz, (k, v)
    return d

SOFT = soft_values()
for f in (s101, s102, s103, s104, s105, s106):
    f()

lines = ["# Class 21: the verdict a teacher gives each part of each sheet, decided from solve_class21.py's own",
         "# solution of every student's problem sheet (never symconv's keys) before any grading run.",
         "# Points: README's default [points], 1 per part, 12 parts asked per student.", ""]
for stem, parts in expected.items():
    for part in PARTS:
        v, m, n = parts[part]
        lines.append(f"[{stem}.{part}]")
        lines.append(f'verdict = "{v}"')
        if m:
            lines.append(f'mistake = "{m}"')
        if n:
            lines.append(f'note = "{n}"')
    lines.append("")
pts = {stem: sum(1 for p in parts.values() if p[0] == "correct") for stem, parts in expected.items()}
lines.append("[points]  # expected points per student (1 per correct part), out of 12")
for stem, n in pts.items():
    lines.append(f'{stem.split("_")[0]} = {n}')
(OUT / "expected.toml").write_text("\n".join(lines) + "\n")
print(pts, sum(pts.values()))
