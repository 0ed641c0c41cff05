"""Set 12 verdicts from mathematics alone (NumPy / PyTorch), no grader code.

Problem 1: every index formula (and derivation line) of the sheets re-implemented literally with loops
(out-of-range entries 0, the student's own bounds and offsets) at N=2, C_in=2, C_out=3, H=4, W=5 and
compared with PyTorch autograd of conv2d(x, h, padding=1).  Closed forms likewise, with the course's reading.
Problem 2: the exact solution and the value each named mistake produces.
"""
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(12)
N, CI, CO, H, W = 2, 2, 3, 4, 5
x = rng.standard_normal((N, CI, H, W))
h = rng.standard_normal((CO, CI, 3, 3))
g = rng.standard_normal((N, CO, H, W))
xt = torch.tensor(x, requires_grad=True)
ht = torch.tensor(h, requires_grad=True)
F.conv2d(xt, ht, padding=1).backward(torch.tensor(g))
DX, DH = xt.grad.numpy(), ht.grad.numpy()


def at(t, *idx):
    """entry of t, 0 outside"""
    for k, s in zip(idx, t.shape):
        if k < 0 or k >= s:
            return 0.0
    return t[idx]


def one(t, *idx):
    """1-based access"""
    return at(t, *[k - 1 for k in idx])


def full_dx(f):
    return np.array([[[[f(b, c, i, j) for j in range(W)] for i in range(H)] for c in range(CI)] for b in range(N)])


def full_dh(f):
    return np.array([[[[f(o, c, m, n) for n in range(3)] for m in range(3)] for c in range(CI)] for o in range(CO)])


R = {}
# ---- u1_zhao: 1-based derivation, per image (b looped outside) ----
def u1_dx_l2(b, c, i, j):  # i, j 0-based here; student indices i+1, j+1
    I, J = i + 1, j + 1
    return sum(one(g[b], o, p, q) * one(h, o, c + 1, I - p + 2, J - q + 2)
               for o in range(1, CO + 1) for p in range(1, H + 1) for q in range(1, W + 1))
def u1_dx_l3(b, c, i, j):
    I, J = i + 1, j + 1
    return sum(one(g[b], o, I - m + 2, J - n + 2) * one(h, o, c + 1, m, n)
               for o in range(1, CO + 1) for m in range(1, 4) for n in range(1, 4))
R['u1 dx line2'] = np.allclose(full_dx(u1_dx_l2), DX)
R['u1 dx line3 (answer)'] = np.allclose(full_dx(u1_dx_l3), DX)
def u1_dh(o, c, m, n):
    M, Nn = m + 1, n + 1
    return sum(one(g, b, o + 1, i, j) * one(x, b, c + 1, i + M - 2, j + Nn - 2)
               for b in range(1, N + 1) for i in range(1, H + 1) for j in range(1, W + 1))
R['u1 dh'] = np.allclose(full_dh(u1_dh), DH)

# ---- u2_smith: dx with o never summed (free) ----
for o in range(CO):
    f = lambda b, c, i, j: sum(at(g, b, o, i - m + 1, j - n + 1) * at(h, o, c, m, n) for m in range(3) for n in range(3))
    R[f'u2 dx with o={o} (free index)'] = np.allclose(full_dx(f), DX)
# missing_channel_sum: adding sum over o makes it right
f = lambda b, c, i, j: sum(at(g, b, o, i - m + 1, j - n + 1) * at(h, o, c, m, n) for o in range(CO) for m in range(3) for n in range(3))
R['u2 dx with sum over o added'] = np.allclose(full_dx(f), DX)


def corr1(a, k, pad=1):
    """one-channel cross-correlation, 'same'-style with padding pad, kernel k"""
    ap = np.pad(a, pad)
    kh, kw = k.shape
    oh, ow = ap.shape[0] - kh + 1, ap.shape[1] - kw + 1
    return np.array([[np.sum(ap[i:i + kh, j:j + kw] * k) for j in range(ow)] for i in range(oh)])


# u2 dh: dL/dh_{o,c} = x_c (x) dL/dy_o, padding 1, summed over the batch -> 3x3
u2dh = np.array([[sum(corr1(x[b, c], g[b, o]) for b in range(N)) for c in range(CI)] for o in range(CO)])
R['u2 dh closed'] = np.allclose(u2dh, DH)

# ---- u3_li: seed (3) with the implied channel swap, seed (6) ----
u3dx = np.array([[sum(corr1(g[b, o], np.rot90(h[o, c], 2)) for o in range(CO)) for c in range(CI)] for b in range(N)])
R['u3 dx = dL/dy (x) rot180(h), swap implied'] = np.allclose(u3dx, DX)
# seed (6) read literally: dL/dy (x) rot180(x), padding 1, summed over the batch (3x3 at H=4, W=5)
u3dh = np.array([[sum(corr1(g[b, o], np.rot90(x[b, c], 2)) for b in range(N)) for c in range(CI)] for o in range(CO)])
R['u3 dh = dL/dy (x) rot180(x) (literal)'] = u3dh.shape == DH.shape and np.allclose(u3dh, DH)
R['u3 dh literal equals rot180 of true dL/dh'] = u3dh.shape == DH.shape and np.allclose(u3dh, np.rot90(DH, 2, axes=(2, 3)))
# the course's reading of (6): x (x) rot180(dL/dy); without the rotation x (x) dL/dy is right (u2's form)
ext = np.array([[sum(corr1(x[b, c], np.rot90(g[b, o], 2)) for b in range(N)) for c in range(CI)] for o in range(CO)])
R['u3 dh read as x (x) rot180(dL/dy)'] = np.allclose(ext, DH)
R['u3 dh rotation removed: x (x) dL/dy'] = np.allclose(u2dh, DH)

# ---- u4_chen: shifted offset in dx, one-axis flipped sign in dh (0-based stated) ----
f = lambda b, c, i, j: sum(at(g, b, o, i - m, j - n) * at(h, o, c, m, n) for o in range(CO) for m in range(3) for n in range(3))
R['u4 dx (g_{i-m,j-n})'] = np.allclose(full_dx(f), DX)
f = lambda o, c, m, n: sum(at(g, b, o, i, j) * at(x, b, c, i + m - 1, j - n + 1) for b in range(N) for i in range(H) for j in range(W))
R['u4 dh (x_{i+m-1,j-n+1})'] = np.allclose(full_dh(f), DH)
f = lambda b, c, i, j: sum(at(g, b, o, i - m + 1, j - n + 1) * at(h, o, c, m, n) for o in range(CO) for m in range(3) for n in range(3))
R['u4 dx corrected (shift by 1: g_{i-m+1,j-n+1})'] = np.allclose(full_dx(f), DX)
f = lambda o, c, m, n: sum(at(g, b, o, i, j) * at(x, b, c, i + m - 1, j + n - 1) for b in range(N) for i in range(H) for j in range(W))
R['u4 dh corrected (sign of n: x_{j+n-1})'] = np.allclose(full_dh(f), DH)
f = lambda o, c, m, n: sum(at(g, b, o, i, j) * at(x, b, c, i - m + 1, j - n + 1) for b in range(N) for i in range(H) for j in range(W))
R['u4 dh is not a pure 180 rotation of the truth'] = not np.allclose(full_dh(f), full_dh(lambda o, c, m, n: sum(at(g, b, o, i, j) * at(x, b, c, i + m - 1, j - n + 1) for b in range(N) for i in range(H) for j in range(W))))

# ---- u5_brown: padding 2 closed form; bounds cut in dh ----
u5dx = np.array([[sum(corr1(g[b, o], np.rot90(h[o, c], 2), pad=2) for o in range(CO)) for c in range(CI)] for b in range(N)])
R['u5 dx padding 2: shape matches x'] = u5dx.shape == DX.shape
f = lambda o, c, m, n: sum(at(g, b, o, i, j) * at(x, b, c, i + m - 1, j + n - 1) for b in range(N) for i in range(H - 1) for j in range(W))
R['u5 dh (i = 0..H-2)'] = np.allclose(full_dh(f), DH)
u5dx1 = np.array([[sum(corr1(g[b, o], np.rot90(h[o, c], 2), pad=1) for o in range(CO)) for c in range(CI)] for b in range(N)])
R['u5 dx corrected to padding 1'] = np.allclose(u5dx1, DX)

# ---- u6_wu: per-channel closed dx, derivation dh with a wrong middle line ----
u6dx = np.array([[sum(corr1(g[b, o], np.rot90(h[o, c], 2)) for o in range(CO)) for c in range(CI)] for b in range(N)])
R['u6 dx'] = np.allclose(u6dx, DX)
f = lambda o, c, m, n: sum(at(g, b, o, p, q) * at(x, b, c, p + m, q + n) for b in range(N) for p in range(H) for q in range(W))
R['u6 dh middle line (x_{p+m,q+n})'] = np.allclose(full_dh(f), DH)
f = lambda o, c, m, n: sum(at(g, b, o, p, q) * at(x, b, c, p + m - 1, q + n - 1) for b in range(N) for p in range(H) for q in range(W))
R['u6 dh last line'] = np.allclose(full_dh(f), DH)

for k, v in R.items():
    print(f'{k:55s} {v}')

# ---------------- Problem 2 ----------------
Fm = np.array([[[1, 2, 3, 4], [8, 7, 6, 5], [9, 10, 11, 12], [16, 15, 14, 13]],
               [[29, 30, 31, 32], [28, 27, 26, 25], [21, 22, 23, 24], [20, 19, 18, 17]]], float)
K = np.array([[[[-1, 0, 1]] * 3, [[-1, -1, -1], [0, 0, 0], [1, 1, 1]]],
              [[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 0, 1], [0, 1, 0], [1, 0, 0]]]], float)
y = np.eye(5)[2]


def forward(K, relu=True, scale=0.1, flat='chw', base=np.e, target=2, sgrad=False):
    conv = np.array([[[np.sum(Fm[:, i:i + 3, j:j + 3] * K[o]) for j in range(2)] for i in range(2)] for o in range(2)])
    r = np.maximum(conv, 0) if relu else conv
    v = r.reshape(-1) if flat == 'chw' else r.transpose(1, 2, 0).reshape(-1)
    Wt = np.full((5, 8), scale)
    fc = Wt @ v
    p = np.exp(fc - fc.max()); p /= p.sum()
    yy = np.eye(5)[target]
    L = -np.log(p[target]) / np.log(base)
    dp = -yy / p / np.log(base)
    dfc = p if sgrad else (p - yy) / np.log(base)
    dW = np.outer(dfc, v)
    dr = Wt.T @ dfc
    dconv = dr.reshape(2, 2, 2) * ((conv > 0) if relu else 1) if flat == 'chw' else None
    return dict(conv1=conv, relu1=r, fc1=fc, p=p, L=L, dL_dp=dp, dL_dfc1=dfc, dL_drelu1=dr, dL_dconv1=dconv, dL_dW=dW)


S = forward(K)
print('\nexact:', {k: np.round(v, 4).tolist() for k, v in S.items()})
print('kernel_flipped:', {k: np.round(v, 4).tolist() for k, v in forward(np.rot90(K, 2, axes=(2, 3))).items()
                          if k in ('conv1', 'relu1', 'fc1', 'p', 'dL_dW')})
print('fc_scale fc1, p:', forward(K, scale=1)['fc1'], forward(K, scale=1)['p'])
sg = forward(K, sgrad=True)
print('softmax_for_gradient dfc1, drelu1, dconv1:', sg['dL_dfc1'], sg['dL_drelu1'], sg['dL_dconv1'].tolist())
print('log_base_10 L:', forward(K, base=10)['L'])
print('relu_mask (ReLU left out) relu1, fc1:', forward(K, relu=False)['relu1'].tolist(), forward(K, relu=False)['fc1'])
print('flatten_order (channel last) dL_dW:\n', forward(K, flat='hwc')['dL_dW'])
print('sign_flipped dL_dp:', -S['dL_dp'])
print('L truncated to 2 places:', np.floor(S['L'] * 100) / 100, ' rounded:', round(S['L'], 2))
print('L=ln5:', np.log(5), ' |1.61-ln5|<0.005:', abs(1.61 - np.log(5)) < 0.005, ' |1.609-ln5|<0.0005:', abs(1.609 - np.log(5)) < 5e-4,
      ' |0.699-lg5|<0.0005:', abs(0.699 - np.log10(5)) < 5e-4)
print('98/5, 392/5:', 98 / 5, 392 / 5)
