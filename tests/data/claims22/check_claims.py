#!/usr/bin/env python3
"""Independent checker for claims.jsonl (written without reading symconv's code).

For every claim: parse the claim string (symconv's operator syntax as the README documents it), evaluate it
with the small NumPy operators below, and compare it with torch autograd's dL/dx, L = <g, op(x)>, on random
float64 g (and x, h) at many sizes.  A claim is "proved" when it matches at every size where the operator is
defined (torch accepts it and the output is non-empty), "refuted" otherwise; the smallest failing size is
reported in symconv's order (total of the sizes, then N, C_in, C_out, H, ...).

    /work/main/.venv/bin/python check_claims.py            # table, compared with the recorded "expected"
    /work/main/.venv/bin/python check_claims.py --write    # rewrite expected/smallest_failing in claims.jsonl
"""
import itertools
import json
import re
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = Path(__file__).resolve().parent
MAX_H_1D = 14
MAX_H_2D = 8


class EvalError(Exception):
    pass


# ----------------------------------------------------------------------------------------------------------
# operators (README's vocabulary), arrays laid out (N, C, *spatial); fold/unfold columns (N, C, *K, *L)
# ----------------------------------------------------------------------------------------------------------
def _per_axis(v, nd, name):
    if isinstance(v, (int, np.integer)):
        return (int(v),) * nd
    v = tuple(v)
    if len(v) != nd or not all(isinstance(e, (int, np.integer)) for e in v):
        raise EvalError(f"{name}: expected {nd} integers, got {v}")
    return tuple(int(e) for e in v)


def op_pad(t, p):
    nd = t.ndim - 2
    if isinstance(p, (int, np.integer)):
        pairs = [(int(p), int(p))] * nd
    else:
        p = tuple(p)
        if len(p) == 2 and all(isinstance(e, (int, np.integer)) for e in p):
            pairs = [(int(p[0]), int(p[1]))] * nd          # (low, high) on every axis
        elif len(p) == nd and all(isinstance(e, tuple) and len(e) == 2 for e in p):
            pairs = [(int(a), int(b)) for a, b in p]
        else:
            raise EvalError(f"pad: bad widths {p}")
    out = t
    for ax, (lo, hi) in enumerate(pairs):
        axis = ax + 2
        n = out.shape[axis]
        m = n + lo + hi
        if m < 0:
            raise EvalError("pad: negative length")
        # out[j] = t[j - lo] where 0 <= j - lo < n, else 0 (a negative width crops)
        j = np.arange(m) - lo
        ok = (j >= 0) & (j < n)
        shape = list(out.shape)
        shape[axis] = m
        new = np.zeros(shape)
        src_idx = [slice(None)] * out.ndim
        dst_idx = [slice(None)] * out.ndim
        src_idx[axis] = j[ok]
        dst_idx[axis] = np.nonzero(ok)[0]
        new[tuple(dst_idx)] = out[tuple(src_idx)]
        out = new
    return out


def op_dilate(t, S):
    nd = t.ndim - 2
    S = _per_axis(S, nd, "dilate")
    if min(S) < 1:
        raise EvalError("dilate factor below 1")
    shape = list(t.shape)
    for i, s in enumerate(S):
        n = t.shape[i + 2]
        if n == 0:
            raise EvalError("dilate of an empty axis")
        shape[i + 2] = s * (n - 1) + 1
    out = np.zeros(shape, dtype=t.dtype)
    idx = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in S)
    out[idx] = t
    return out


def op_rot180(t):
    return np.flip(t, axis=tuple(range(2, t.ndim))).copy()


def op_swap_io(k, groups=1):
    O, I = k.shape[:2]
    G = groups
    if O % G:
        raise EvalError("swap_io: groups")
    r = k.reshape((G, O // G, I) + k.shape[2:])
    r = np.swapaxes(r, 1, 2)
    return r.reshape((G * I, O // G) + k.shape[2:]).copy()


def op_correlate(a, k, stride=1, dilation=1, groups=1):
    nd = a.ndim - 2
    stride = _per_axis(stride, nd, "stride")
    dilation = _per_axis(dilation, nd, "dilation")
    if k.ndim != a.ndim:
        raise EvalError("correlate: rank")
    if a.shape[1] != k.shape[1] * groups or k.shape[0] % groups:
        raise EvalError("correlate: channels per group differ")
    for i in range(nd):
        if dilation[i] * (k.shape[i + 2] - 1) + 1 > a.shape[i + 2]:
            raise EvalError("correlate: kernel wider than its data")
    fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
    return fn(torch.from_numpy(np.ascontiguousarray(a)), torch.from_numpy(np.ascontiguousarray(k)),
              stride=stride, dilation=dilation, groups=groups).numpy()


def op_sum_windows(t, K):
    nd = t.ndim - 2
    K = _per_axis(K, nd, "sum_windows")
    out = t
    for i, k in enumerate(K):
        axis = i + 2
        n = out.shape[axis]
        if n - k + 1 < 1:
            raise EvalError("sum_windows: window wider than its data")
        acc = 0
        for a in range(k):
            s = [slice(None)] * out.ndim
            s[axis] = slice(a, a + n - k + 1)
            acc = acc + out[tuple(s)]
        out = acc
    return out


class Divisor:
    def __init__(self, kind, K, S, P):
        self.kind, self.K, self.S, self.P = kind, K, S, P

    def array(self, gshape, xsize):
        nd = len(gshape) - 2
        K = _per_axis(self.K, nd, self.kind)
        S = _per_axis(self.S, nd, self.kind)
        P = _per_axis(self.P, nd, self.kind)
        d = np.ones(())
        for i in range(nd):
            Ho, H = gshape[i + 2], xsize[i]
            o = np.arange(Ho)
            start = S[i] * o - P[i]
            if self.kind == "count":
                c = np.minimum(start + K[i], H + P[i]) - start
            else:
                c = np.minimum(start + K[i], H) - np.maximum(start, 0)
            d = np.multiply.outer(d, c)
        return d


def op_divide(t, d, ctx):
    if isinstance(d, (int, np.integer)):
        if d == 0:
            raise EvalError("division by 0")
        return t / d
    if isinstance(d, Divisor):
        arr = d.array(t.shape, ctx["xsize"])
        if np.any(arr <= 0):
            raise EvalError("divisor not positive")
        return t / arr
    raise EvalError("divide: bad divisor")


def _fold_unfold_params(nd, K, stride, padding, dilation):
    K = _per_axis(K, nd, "kernel")
    S = _per_axis(stride, nd, "stride")
    P = _per_axis(padding, nd, "padding")
    D = _per_axis(dilation, nd, "dilation")
    if min(K) < 1 or min(S) < 1 or min(D) < 1 or min(P) < 0:
        raise EvalError("fold/unfold parameter below its minimum")
    return K, S, P, D


def op_unfold(t, K, stride=1, padding=0, dilation=1):
    nd = t.ndim - 2
    K, S, P, D = _fold_unfold_params(nd, K, stride, padding, dilation)
    xp = op_pad(t, tuple((p, p) for p in P)) if nd > 1 else op_pad(t, P[0])
    L = []
    for i in range(nd):
        n = (xp.shape[i + 2] - D[i] * (K[i] - 1) - 1) // S[i] + 1
        if n < 1:
            raise EvalError("unfold: no sliding block")
        L.append(n)
    out = np.zeros(t.shape[:2] + K + tuple(L))
    for a in itertools.product(*[range(k) for k in K]):
        idx = tuple(slice(D[i] * a[i], D[i] * a[i] + S[i] * (L[i] - 1) + 1, S[i]) for i in range(nd))
        out[(slice(None), slice(None)) + a] = xp[(slice(None), slice(None)) + idx]
    return out


def op_fold(t, size, K, stride=1, padding=0, dilation=1):
    nd = (t.ndim - 2) // 2
    size = _per_axis(size, nd, "fold size")
    K, S, P, D = _fold_unfold_params(nd, K, stride, padding, dilation)
    if tuple(t.shape[2:2 + nd]) != K:
        raise EvalError(f"fold: kernel axes {t.shape[2:2+nd]} are not {K}")
    L = []
    for i in range(nd):
        n = (size[i] + 2 * P[i] - D[i] * (K[i] - 1) - 1) // S[i] + 1
        if n < 1:
            raise EvalError("fold: no sliding block")
        L.append(n)
    if tuple(t.shape[2 + nd:]) != tuple(L):
        raise EvalError(f"fold: block axes {t.shape[2+nd:]} are not {tuple(L)}")
    out = np.zeros(t.shape[:2] + tuple(s + 2 * p for s, p in zip(size, P)))
    for a in itertools.product(*[range(k) for k in K]):
        idx = tuple(slice(D[i] * a[i], D[i] * a[i] + S[i] * (L[i] - 1) + 1, S[i]) for i in range(nd))
        out[(slice(None), slice(None)) + idx] += t[(slice(None), slice(None)) + a]
    crop = tuple(slice(p, p + s) for s, p in zip(size, P))
    return out[(slice(None), slice(None)) + crop]


# ----------------------------------------------------------------------------------------------------------
# a small parser for the claim syntax: calls, keyword arguments, tuples, + - *, mod, unary minus
# ----------------------------------------------------------------------------------------------------------
TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z_0-9]*)|(\*\*|[-+*(),=]))")


def tokenize(s):
    pos, out = 0, []
    s = s.rstrip()
    while pos < len(s):
        m = TOKEN.match(s, pos)
        if not m:
            raise SyntaxError(f"bad token at {pos}: {s[pos:]!r}")
        num, name, sym = m.groups()
        out.append(("num", int(num)) if num else ("name", name) if name else ("sym", sym))
        pos = m.end()
    return out


class Parser:
    def __init__(self, s, env):
        self.toks, self.i, self.env = tokenize(s), 0, env

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, kind=None, val=None):
        t = self.peek()
        if (kind and t[0] != kind) or (val is not None and t[1] != val):
            raise SyntaxError(f"expected {val or kind}, got {t}")
        self.i += 1
        return t

    def parse(self):
        v = self.expr()
        if self.i != len(self.toks):
            raise SyntaxError(f"trailing {self.toks[self.i:]}")
        return v

    def expr(self):
        v = self.term()
        while self.peek() in (("sym", "+"), ("sym", "-")):
            op = self.take()[1]
            w = self.term()
            v = v + w if op == "+" else v - w
        return v

    def term(self):
        v = self.unary()
        while self.peek() in (("sym", "*"), ("name", "mod")):
            op = self.take()[1]
            w = self.unary()
            if op == "*":
                v = v * w
            else:
                if w <= 0:
                    raise EvalError("remainder modulo a non-positive number")
                v = v % w
        return v

    def unary(self):
        if self.peek() == ("sym", "-"):
            self.take()
            return -self.unary()
        return self.atom()

    def atom(self):
        kind, val = self.peek()
        if kind == "num":
            self.take()
            return val
        if kind == "sym" and val == "(":
            self.take()
            items = [self.expr()]
            tup = False
            while self.peek() == ("sym", ","):
                self.take()
                tup = True
                if self.peek() == ("sym", ")"):
                    break
                items.append(self.expr())
            self.take("sym", ")")
            return tuple(items) if tup else items[0]
        if kind == "name":
            self.take()
            if self.peek() == ("sym", "("):
                self.take()
                args, kw = [], {}
                while self.peek() != ("sym", ")"):
                    if self.peek()[0] == "name" and self.toks[self.i + 1] == ("sym", "="):
                        k = self.take()[1]
                        self.take("sym", "=")
                        kw[k] = self.expr()
                    else:
                        args.append(self.expr())
                    if self.peek() == ("sym", ","):
                        self.take()
                self.take("sym", ")")
                return self.call(val, args, kw)
            if val not in self.env:
                raise SyntaxError(f"unknown name {val}")
            return self.env[val]
        raise SyntaxError(f"unexpected {kind} {val}")

    def call(self, name, args, kw):
        ctx = self.env
        if name == "pad":
            return op_pad(*args, **kw)
        if name == "dilate":
            return op_dilate(*args, **kw)
        if name == "rot180":
            return op_rot180(*args)
        if name == "swap_io":
            return op_swap_io(args[0], ctx.get("groups", 1))
        if name == "correlate":
            return op_correlate(*args, **kw)
        if name == "sum_windows":
            return op_sum_windows(*args, **kw)
        if name == "divide":
            return op_divide(args[0], args[1], ctx)
        if name in ("count", "valid_count"):
            return Divisor(name, *args)
        if name == "fold":
            return op_fold(*args, **kw)
        if name == "unfold":
            return op_unfold(*args, **kw)
        raise SyntaxError(f"unknown operator {name}")


# ----------------------------------------------------------------------------------------------------------
# configurations and the torch oracle
# ----------------------------------------------------------------------------------------------------------
def parse_args(args):
    cfg = {"ceil_mode": False, "count_include_pad": True}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--ceil-mode":
            cfg["ceil_mode"] = True
            i += 1
            continue
        if a == "--count-include-pad":
            cfg["count_include_pad"] = True
            i += 1
            continue
        if a == "--no-count-include-pad":
            cfg["count_include_pad"] = False
            i += 1
            continue
        key, val = a[2:].replace("-", "_"), args[i + 1]
        if key in ("op",):
            cfg[key] = val
        elif key == "stop" and val == "end":
            cfg[key] = None
        else:
            cfg[key] = tuple(int(v) for v in val.split(","))
        i += 2
    nd = cfg["ndim"][0]
    cfg["ndim"] = nd
    for k in ("kernel_size", "stride", "padding", "dilation", "output_padding", "start", "stop", "step",
              "padding_high", "output_size"):
        if k in cfg and cfg[k] is not None and len(cfg[k]) == 1:
            cfg[k] = cfg[k] * nd
    for k in ("groups", "divisor_override", "in_channels", "out_channels"):
        if k in cfg:
            cfg[k] = cfg[k][0]
    return cfg


def forward(cfg, x, h=None):
    """op(x) in torch; raises when torch refuses the configuration."""
    op, nd = cfg["op"], cfg["ndim"]
    if op == "conv_transpose":
        fn = {1: F.conv_transpose1d, 2: F.conv_transpose2d}[nd]
        return fn(x, h, stride=cfg.get("stride", (1,) * nd), padding=cfg.get("padding", (0,) * nd),
                  output_padding=cfg.get("output_padding", (0,) * nd), groups=cfg.get("groups", 1),
                  dilation=cfg.get("dilation", (1,) * nd))
    if op == "slice":
        A, S = cfg.get("start", (0,) * nd), cfg.get("step", (1,) * nd)
        B = cfg.get("stop") or (None,) * nd
        idx = (slice(None), slice(None)) + tuple(slice(A[i], B[i], S[i]) for i in range(nd))
        return x[idx]
    if op == "pad":
        P, Q = cfg["padding"], cfg.get("padding_high", cfg["padding"])
        w = []
        for i in reversed(range(nd)):
            w += [P[i], Q[i]]
        return F.pad(x, w)
    K = cfg.get("kernel_size")
    S = cfg.get("stride", K if op == "avg_pool" else (1,) * nd)
    P = cfg.get("padding", (0,) * nd)
    D = cfg.get("dilation", (1,) * nd)
    if op == "unfold":
        x2 = x if nd == 2 else x.unsqueeze(2)
        e = (lambda t: t) if nd == 2 else (lambda t: (1,) + t)
        ep = (lambda t: t) if nd == 2 else (lambda t: (0,) + t)
        cols = F.unfold(x2, e(K), dilation=e(D), padding=ep(P), stride=e(S))
        Hs = x2.shape[2:]
        L = [(Hs[i] + 2 * ep(P)[i] - e(D)[i] * (e(K)[i] - 1) - 1) // e(S)[i] + 1 for i in range(2)]
        y = cols.reshape((x.shape[0], x.shape[1]) + e(K) + tuple(L))
        if nd == 1:
            y = y[:, :, 0, :, 0, :]
        return y
    if op == "fold":
        N, C = x.shape[:2]
        out = cfg["output_size"]
        if nd == 2:
            xs = x.reshape(N, C * K[0] * K[1], -1)
            return F.fold(xs, out, K, dilation=D, padding=P, stride=S)
        xs = x.reshape(N, C * K[0], -1)
        return F.fold(xs, (1,) + out, (1,) + K, dilation=(1,) + D, padding=(0,) + P, stride=(1,) + S)[:, :, 0]
    if op == "avg_pool":
        dov = cfg.get("divisor_override")
        kw = dict(kernel_size=K, stride=S, padding=P, ceil_mode=cfg["ceil_mode"],
                  count_include_pad=cfg["count_include_pad"])
        if nd == 2:
            return F.avg_pool2d(x, divisor_override=dov, **kw)
        kw = {k: ((1,) + v if isinstance(v, tuple) else v) for k, v in kw.items()}
        kw["padding"] = (0,) + P
        return F.avg_pool2d(x.unsqueeze(2), divisor_override=dov, **kw)[:, :, 0]
    raise ValueError(op)


def size_grid(cfg):
    """Every (N, C_in, C_out, spatial...) tried, in symconv's counterexample order."""
    op, nd = cfg["op"], cfg["ndim"]
    chans = [(ci, co) for ci in (1, 2) for co in (1, 2)] if op == "conv_transpose" else [(c, None) for c in (1, 2)]
    if op == "fold":
        spatial = [None]          # the fold's input is fixed by --output-size
    elif nd == 1:
        spatial = [(H,) for H in range(1, MAX_H_1D + 1)]
    else:
        spatial = [(a, b) for a in range(1, MAX_H_2D + 1) for b in range(1, MAX_H_2D + 1)]
    out = []
    for N in (1, 2):
        for ci, co in chans:
            for sp in spatial:
                out.append((N, ci, co, sp))

    def key(s):
        N, ci, co, sp = s
        tot = N + ci + (co or 0) + (sum(sp) if sp else 0)
        return (tot, N, ci, co or 0, sp or ())
    return sorted(out, key=key)


def fold_input_shape(cfg, N, C):
    K, S = cfg["kernel_size"], cfg.get("stride", (1,) * cfg["ndim"])
    P, D = cfg.get("padding", (0,) * cfg["ndim"]), cfg.get("dilation", (1,) * cfg["ndim"])
    L = tuple((o + 2 * p - d * (k - 1) - 1) // s + 1 for o, k, s, p, d in zip(cfg["output_size"], K, S, P, D))
    return (N, C) + tuple(K) + L


def check_one(cfg, claim, seed=0):
    """Returns (status, smallest_failing or None, reason, number of sizes where the operator is defined)."""
    nd = cfg["ndim"]
    rng = np.random.default_rng(seed)
    defined = 0
    for N, ci, co, sp in size_grid(cfg):
        G = cfg.get("groups", 1)
        h = None
        if cfg["op"] == "conv_transpose":
            Ci, Co = ci * G, co * G
            xshape = (N, Ci) + sp
            h = torch.from_numpy(rng.standard_normal((Ci, Co // G) + tuple(cfg["kernel_size"])))
        elif cfg["op"] == "fold":
            xshape = fold_input_shape(cfg, N, ci)
            if min(xshape[2:]) < 1:
                continue          # no sliding block: fold is not defined there
        else:
            xshape = (N, ci) + sp
        x = torch.from_numpy(rng.standard_normal(xshape)).requires_grad_(True)
        try:
            y = forward(cfg, x, h)
        except RuntimeError:
            continue
        if y.numel() == 0:
            continue
        defined += 1
        g = torch.from_numpy(rng.standard_normal(tuple(y.shape)))
        (gx,) = torch.autograd.grad((y * g).sum(), x)
        env = {"g": g.numpy(), "h": None if h is None else h.numpy(), "groups": G,
               "xsize": tuple(xshape[2:]) if cfg["op"] != "fold" else None}
        if sp is not None:
            if nd == 1:
                env.update(H=sp[0], H_1=sp[0])
            else:
                env.update(H_1=sp[0], H_2=sp[1])
        if cfg["op"] == "fold":
            o = cfg["output_size"]
            env.update({"H": o[0], "H_1": o[0]} if nd == 1 else {"H_1": o[0], "H_2": o[1]})
        try:
            val = Parser(claim, env).parse()
        except EvalError as e:
            return "refuted", size_dict(cfg, N, ci, co, sp, G), f"cannot be evaluated: {e}", defined
        if not isinstance(val, np.ndarray) or val.shape != tuple(gx.shape):
            shp = getattr(val, "shape", val)
            return "refuted", size_dict(cfg, N, ci, co, sp, G), f"shape {shp} but x has {tuple(gx.shape)}", defined
        err = np.max(np.abs(val - gx.numpy())) if val.size else 0.0
        if err > 1e-9:
            return "refuted", size_dict(cfg, N, ci, co, sp, G), f"values differ (max {err:.3g})", defined
    if defined == 0:
        return "undefined", None, "the operator is defined at no size tried", 0
    return "proved", None, "", defined


def size_dict(cfg, N, ci, co, sp, G):
    d = {"N": N}
    if cfg["op"] == "conv_transpose":
        d.update(C_in=ci * G, C_out=co * G)
    else:
        d["C"] = ci
    if sp is not None:
        if cfg["ndim"] == 1:
            d["H"] = sp[0]
        else:
            d["H_1"], d["H_2"] = sp
    else:
        d["output_size"] = list(cfg["output_size"])
    return d


README_EXAMPLES = [   # the README's own derive outputs, read with these operators: must be proved
    (["--op", "conv_transpose", "--ndim", "1", "--kernel-size", "3", "--stride", "2", "--padding", "1",
      "--output-padding", "1"], "correlate(pad(g, (1, 0)), h, stride=2)"),
    (["--op", "slice", "--ndim", "1", "--start", "1", "--stop", "end", "--step", "2"], "pad(dilate(g, 2), (1, H mod 2))"),
    (["--op", "avg_pool", "--ndim", "1", "--kernel-size", "3", "--stride", "2", "--padding", "1",
      "--no-count-include-pad"], "sum_windows(pad(dilate(divide(g, valid_count(3, 2, 1)), 2), (1, ((H + 1) mod 2) + 1)), 3)"),
    (["--op", "unfold", "--ndim", "2", "--kernel-size", "3", "--stride", "2", "--padding", "1"],
     "fold(g, (H_1, H_2), 3, stride=2, padding=1)"),
    (["--op", "fold", "--ndim", "2", "--output-size", "4,5", "--kernel-size", "2", "--padding", "0"], "unfold(g, 2)"),
]


def fold_any_output_size(cfg, claim, max_size=9):
    """For --op fold: the smallest output size (over a grid, N = C = 1 first) where the claim fails, in case
    the tool proves a fold claim for every image size rather than only at --output-size."""
    nd = cfg["ndim"]
    sizes = [(a,) for a in range(1, max_size + 1)] if nd == 1 else \
        sorted([(a, b) for a in range(1, max_size + 1) for b in range(1, max_size + 1)], key=lambda t: (sum(t), t))
    for sz in sizes:
        c = dict(cfg, output_size=sz)
        st = check_one(c, claim)
        if st[0] == "refuted":
            return st[1]
    return None


def main():
    for a, c in README_EXAMPLES:
        st = check_one(parse_args(a), c)
        print(f"README example ({a[1]}): {c}: {st[0]} at {st[3]} sizes")
        assert st[0] == "proved", st

    path = HERE / "claims.jsonl"
    rows = [json.loads(l) for l in path.read_text().splitlines() if l.strip()]
    write = "--write" in sys.argv
    bad = 0
    print(f"{'id':4} {'op':15} {'nd':2} {'expected':9} {'checker':9} {'defined':>7}  smallest failing / reason")
    for r in rows:
        cfg = parse_args(r["args"])
        status, smallest, reason, defined = check_one(cfg, r["claim"])
        agree = status == r.get("expected")
        if write:
            r["expected"], r["smallest_failing"] = status, smallest
            note = r["note"].split(" [checker:")[0]
            if status == "refuted":
                note += f" [checker: fails first at {json.dumps(smallest)}: {reason}"
                if cfg["op"] == "fold":
                    note += f"; over every output size the smallest failure is {json.dumps(fold_any_output_size(cfg, r['claim']))}"
                note += "]"
            elif cfg["op"] == "fold":
                any_fail = fold_any_output_size(cfg, r["claim"])
                note += f" [checker: also right at every output size up to 9 per axis]" if any_fail is None else \
                    f" [checker: right at this --output-size, but fails at output size {json.dumps(any_fail)}]"
            else:
                note += f" [checker: matches torch at all {defined} sizes tried]"
            r["note"] = note
        elif not agree or smallest != r.get("smallest_failing"):
            bad += 1
        flag = "" if agree or write else "  <-- DISAGREES with recorded"
        print(f"{r['id']:4} {cfg['op']:15} {cfg['ndim']:2} {str(r.get('expected')):9} {status:9} {defined:7}  "
              f"{json.dumps(smallest) if smallest else ''} {reason}{flag}")
    if write:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    counts = {}
    for r in rows:
        op = r["args"][r["args"].index("--op") + 1]
        counts.setdefault(op, [0, 0])[0 if r["expected"] == "proved" else 1] += 1
    print("per operator (proved, refuted):", counts)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
