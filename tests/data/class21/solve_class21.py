"""Solve each student's variant from the homework file `symconv variants` wrote for them (the problem
sheet's numbers), with Fractions (exact forward up to fc1), NumPy float64 and PyTorch autograd (check).
Never reads symconv's keys/. Usage: python solve_class21.py /tmp/class21  -> prints a summary, writes
/tmp/c21/solutions.json (float values, exact zeros marked) used by make_sheets.py."""
import json, sys, tomllib, math
from fractions import Fraction as F
from pathlib import Path
import numpy as np
import torch

def frac(v):
    return F(v) if not isinstance(v, str) else F(v)

def load(path):
    d = tomllib.loads(Path(path).read_text())
    x = np.array(d["input"]["x"], dtype=object)
    x = np.vectorize(frac, otypes=[object])(x)
    h = np.vectorize(frac, otypes=[object])(np.array(d["conv"]["h"], dtype=object))
    W = np.vectorize(frac, otypes=[object])(np.array(d["fc"]["weight"], dtype=object))
    t = d["loss"]["target"] - 1
    assert d["conv"]["stride"] == 1 and d["conv"]["padding"] == 0
    return x, h, W, t

def corr(x, h):  # cross-correlation, valid
    Co, Ci, K, _ = h.shape
    H = x.shape[1] - K + 1
    y = np.empty((Co, H, H), dtype=object)
    for o in range(Co):
        for i in range(H):
            for j in range(H):
                y[o, i, j] = sum((x[c, i + m, j + n] * h[o, c, m, n] for c in range(Ci) for m in range(K) for n in range(K)), F(0))
    return y

def forward(x, h, W, t):
    conv1 = corr(x, h)
    relu1 = np.vectorize(lambda v: v if v > 0 else F(0), otypes=[object])(conv1)
    r = relu1.reshape(-1)
    fc1 = W.dot(r)
    return conv1, relu1, fc1

def backward_linear(q, W, conv1, relu1, x, h):
    """gradients below fc1 for dL/dfc1 = q (any field of numbers)."""
    dr = W.T.dot(q).reshape(relu1.shape)
    mask = np.vectorize(lambda v: 1 if v > 0 else 0, otypes=[object])(conv1)
    dc = dr * mask
    dW = np.outer(q, relu1.reshape(-1))
    Co, Ci, K, _ = h.shape
    Ho = conv1.shape[1]
    dh = np.zeros(h.shape, dtype=object); dx = np.zeros(x.shape, dtype=object)
    for o in range(Co):
        for c in range(Ci):
            for m in range(K):
                for n in range(K):
                    dh[o, c, m, n] = sum((dc[o, i, j] * x[c, i + m, j + n] for i in range(Ho) for j in range(Ho)), 0)
    for c in range(Ci):
        for a in range(x.shape[1]):
            for b in range(x.shape[2]):
                s = 0
                for o in range(Co):
                    for m in range(K):
                        for n in range(K):
                            i, j = a - m, b - n
                            if 0 <= i < Ho and 0 <= j < Ho:
                                s = s + dc[o, i, j] * h[o, c, m, n]
                dx[c, a, b] = s
    return dr, dc, dW, dh, dx

def solve(x, h, W, t):
    conv1, relu1, fc1 = forward(x, h, W, t)
    f = np.array([float(v) for v in fc1])
    e = np.exp(f - f.max()); p = e / e.sum()
    y = np.zeros(5); y[t] = 1
    L = -math.log(p[t])
    dp = np.zeros(5); dp[t] = -1 / p[t]
    q = p - y
    dr, dc, dW, dh, dx = backward_linear(q, W.astype(float), conv1.astype(float), relu1.astype(float), x.astype(float), h.astype(float))
    # exact-zero structure: gradients are linear in q with q_5 = -(q_1+..+q_4); an entry is exactly 0 iff
    # its rational coefficient on every q_i - q_5 direction is 0 (fc1 entries distinct: Lindemann-Weierstrass)
    ties = len(set(fc1)) < 5  # then exact zeros are not decided here (used only for the flipped forward)
    zero = {}
    basis = []
    for i in range(4):
        b = np.array([F(0)] * 5, dtype=object); b[i] = F(1); b[4] = F(-1)
        basis.append(backward_linear(b, W, conv1, relu1, x, h))
    for k, name in enumerate(["dL_drelu1", "dL_dconv1", "dL_dW", "dL_dh", "dL_dx"]):
        z = np.ones(basis[0][k].shape, dtype=bool)
        for bb in basis:
            z &= np.vectorize(lambda v: v == 0, otypes=[bool])(bb[k])
        zero[name] = z & ~ties if not ties else np.zeros_like(z)
    sol = dict(conv1=conv1, relu1=relu1, fc1=fc1, p=p, L=L, dL_dp=dp, dL_dfc1=q, dL_drelu1=dr, dL_dconv1=dc,
               dL_dW=dW, dL_dh=dh, dL_dx=dx)
    # PyTorch autograd check, float64
    xt = torch.tensor(x.astype(float), requires_grad=True); ht = torch.tensor(h.astype(float), requires_grad=True)
    Wt = torch.tensor(W.astype(float), requires_grad=True)
    c1 = torch.nn.functional.conv2d(xt[None], ht)[0]; c1.retain_grad()
    r1 = torch.relu(c1); r1.retain_grad()
    z = Wt @ r1.reshape(-1); z.retain_grad()
    pt = torch.softmax(z, 0); pt.retain_grad()
    Lt = -torch.log(pt[t]); Lt.backward()
    for name, tt in [("conv1", c1), ("relu1", r1), ("fc1", z), ("p", pt)]:
        assert np.allclose(np.array(sol[name], dtype=float), tt.detach().numpy(), atol=1e-12), name
    assert abs(Lt.item() - L) < 1e-12
    for name, tt in [("dL_dp", pt.grad), ("dL_dfc1", z.grad), ("dL_drelu1", r1.grad), ("dL_dconv1", c1.grad),
                     ("dL_dW", Wt.grad), ("dL_dh", ht.grad), ("dL_dx", xt.grad)]:
        assert np.allclose(np.array(sol[name], dtype=float), tt.numpy(), atol=1e-10), name
    sol["ties"] = ties
    return sol, zero

def flipped(x, h, W, t):
    """the kernel_flipped forward: each kernel rotated by 180 degrees (a true convolution)."""
    return solve(x, h[:, :, ::-1, ::-1].copy(), W, t)

if __name__ == "__main__":
    out = Path(sys.argv[1])
    allsol = {}
    for hw in sorted((out / "sheets").glob("homework_*.toml")):
        sid = hw.stem.split("_", 1)[1]
        x, h, W, t = load(hw)
        sol, zero = solve(x, h, W, t)
        fsol, fzero = flipped(x, h, W, t)
        print(sid, "conv1", [str(v) for v in sol["conv1"].reshape(-1)], "fc1", [str(v) for v in sol["fc1"]],
              "p", np.round(sol["p"], 4), "L", round(sol["L"], 4))
        assert not sol["ties"]
        print("   flipped ties:", fsol["ties"], "relu1 == relu1:", bool((fsol["relu1"] == sol["relu1"]).all()),
              "flipped fc1", [str(v) for v in fsol["fc1"]])
        ser = lambda s, z: {k: {"exact": [str(v) for v in np.array(val, dtype=object).reshape(-1)] if k in ("conv1", "relu1", "fc1") else None,
                                "value": np.array(val, dtype=float).tolist(), "shape": list(np.shape(val)),
                                "zero": z[k].reshape(-1).tolist() if k in z else None}
                            for k, val in s.items() if k != "ties"}
        allsol[sid] = {"true": ser(sol, zero), "kernel_flipped": ser(fsol, fzero), "target": t}
    Path("/tmp/c21").mkdir(exist_ok=True)
    Path("/tmp/c21/solutions.json").write_text(json.dumps(allsol))
