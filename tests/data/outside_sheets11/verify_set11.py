"""Set 11: verdicts of problem 1 (index formulas, derivation lines, closed forms) and the
wrong values of problem 2's named mistakes, from NumPy and PyTorch alone (no symconv).
Run: /work/main/.venv/bin/python verify_set11.py"""
import numpy as np, torch
import torch.nn.functional as F

rng = np.random.default_rng(11)
N, Ci, Co, H, W = 2, 2, 3, 4, 5
x = rng.standard_normal((N, Ci, H, W)); h = rng.standard_normal((Co, Ci, 3, 3)); g = rng.standard_normal((N, Co, H, W))
xt = torch.tensor(x, requires_grad=True); ht = torch.tensor(h, requires_grad=True)
(F.conv2d(xt, ht, padding=1) * torch.tensor(g)).sum().backward()
DX, DH = xt.grad.numpy(), ht.grad.numpy()

def get(a, *idx):  # out-of-range (or negative) entries are 0
    for k, n in zip(idx, a.shape):
        if not 0 <= k < n: return 0.0
    return a[idx]

def X0(b, c, i, j): return get(x, b, c, i, j)            # 0-based
def G0(b, o, i, j): return get(g, b, o, i, j)
def Hk0(o, c, m, n): return get(h, o, c, m, n)
def X1(b, c, i, j): return get(x, b, c - 1, i - 1, j - 1)  # 1-based
def G1(b, o, i, j): return get(g, b, o - 1, i - 1, j - 1)
def Hk1(o, c, m, n): return get(h, o - 1, c - 1, m - 1, n - 1)

def dx_from(f, base):  # f(b, c, i, j) with indices in the sheet's numbering
    out = np.zeros_like(x)
    for b in range(N):
        for c in range(Ci):
            for i in range(H):
                for j in range(W):
                    out[b, c, i, j] = f(b, c + base, i + base, j + base)
    return out

def dh_from(f, base):  # per image, summed over the batch (the sheets say N = 1 per image)
    out = np.zeros_like(h)
    for o in range(Co):
        for c in range(Ci):
            for m in range(3):
                for n in range(3):
                    out[o, c, m, n] = sum(f(b, o + base, c + base, m + base, n + base) for b in range(N))
    return out

def corr_full(a, k, pad):  # valid cross-correlation of a zero-padded 2-D a with 2-D k
    a = np.pad(a, pad); r = a.shape[0] - k.shape[0] + 1; s = a.shape[1] - k.shape[1] + 1
    return np.array([[np.sum(a[i:i + k.shape[0], j:j + k.shape[1]] * k) for j in range(s)] for i in range(r)])

def same(a, b): return a.shape == b.shape and np.allclose(a, b, atol=1e-10)
R = {}
rng1, rng0 = range(1, 4), range(0, 3)

# v1 dx: 1-based seed-style derivation, 3 lines
# y_{o,p,q} = sum_c sum_{a,b=1..3} x_{c,p+a-2,q+b-2} h_{o,c,a,b}  -> dy/dx_{c,i,j} = h_{o,c,i-p+2,j-q+2}
R['v1 dx line1/2'] = same(dx_from(lambda b, c, i, j: sum(G1(b, o, p, q) * Hk1(o, c, i - p + 2, j - q + 2)
        for o in range(1, Co + 1) for p in range(1, H + 1) for q in range(1, W + 1)), 1), DX)
R['v1 dx line3'] = same(dx_from(lambda b, c, i, j: sum(G1(b, o, i - a + 2, j - bb + 2) * Hk1(o, c, a, bb)
        for o in range(1, Co + 1) for a in rng1 for bb in rng1), 1), DX)
# v1 dh: 1-based, x_{c, w_j+a-1, h_j+b-1}
v1dh = dh_from(lambda b, o, c, a, bb: sum(G1(b, o, p, q) * X1(b, c, p + a - 1, q + bb - 1)
        for p in range(1, H + 1) for q in range(1, W + 1)), 1)
R['v1 dh'] = same(v1dh, DH)
# v1 dh read 0-based instead (kernel positions 0..2): x_{c,i+m-1} is then the truth
R['v1 dh read 0-based (pixels and taps)'] = same(dh_from(lambda b, o, c, m, n: sum(G0(b, o, i, j) * X0(b, c, i + m - 1, j + n - 1)
        for i in range(H) for j in range(W)), 0), DH)
R['v1 dh = truth with taps shifted by one (x_{i+m-1} for 1-based)'] = same(v1dh[:, :, :2, :2], DH[:, :, 1:, 1:])

# v2 dx: sum_o delta_o (star, padding 1) rot180(h_{o,c})
v2dx = np.zeros_like(x)
for b in range(N):
    for c in range(Ci):
        v2dx[b, c] = sum(corr_full(g[b, o], np.rot90(h[o, c], 2), 1) for o in range(Co))
R['v2 dx'] = same(v2dx, DX)
# v2 dh: 0-based, sum_{i<H, j<W} delta_{o,i,j} x_{c,i+m-1,j+n-1}
R['v2 dh'] = same(dh_from(lambda b, o, c, m, n: sum(G0(b, o, i, j) * X0(b, c, i + m - 1, j + n - 1)
        for i in range(H) for j in range(W)), 0), DH)

# v3 dx: seed (3), dL/dy (x) h^{rot180}, bare (x) sums over output channels (course convention)
R['v3 dx (seed 3, convention)'] = same(v2dx, DX)  # the same operator as v2's
v3_noswap_ok = False  # without the convention (h used as C_out x C_in unswapped) shapes do not match: 3 vs 2 channels
# v3 dh: seed (6), dL/dy (x) x^{rot180}: per image, kernel g_o over padded x rotated
v6s = np.zeros_like(h)
for o in range(Co):
    for c in range(Ci):
        v6s[o, c] = sum(corr_full(np.rot90(x[b, c], 2), g[b, o], 1) for b in range(N))
R['v3 dh (seed 6)'] = same(v6s, DH)
# without the rotation: x (x) dL/dy is the truth
noRot = np.zeros_like(h)
for o in range(Co):
    for c in range(Ci):
        noRot[o, c] = sum(corr_full(x[b, c], g[b, o], 1) for b in range(N))
R['v3 dh with rotation removed (x (x) g)'] = same(noRot, DH)
R['v3 dh: seed 6 == rot180(truth)'] = same(v6s, np.rot90(DH, 2, axes=(2, 3)))
# the seed's (6) read literally, dL/dy as the padded input and x^{rot180} as the (H x W) kernel
lit = np.zeros_like(h); lit_norot = np.zeros_like(h)
for o in range(Co):
    for c in range(Ci):
        lit[o, c] = sum(corr_full(g[b, o], np.rot90(x[b, c], 2), 1) for b in range(N))
        lit_norot[o, c] = sum(corr_full(g[b, o], x[b, c], 1) for b in range(N))
R['v3 dh (seed 6 literal: pad(g) corr rot180(x))'] = same(lit, DH)
R['v3 dh literal with rotation removed == rot180(truth)'] = same(lit_norot, np.rot90(DH, 2, axes=(2, 3)))

# v4 dx: 1-based, no sum over o (o free): try every fixed o, and the sum (the fix)
for o_fixed in range(1, Co + 1):
    R[f'v4 dx with o={o_fixed}'] = same(dx_from(lambda b, c, i, j: sum(G1(b, o_fixed, i - m + 2, j - n + 2) * Hk1(o_fixed, c, m, n)
            for m in rng1 for n in rng1), 1), DX)
R['v4 dx with sum over o added'] = same(dx_from(lambda b, c, i, j: sum(G1(b, o, i - m + 2, j - n + 2) * Hk1(o, c, m, n)
        for o in range(1, Co + 1) for m in rng1 for n in rng1), 1), DX)
# v4 dh: 1-based with Iverson brackets
def ive(i, m, Hn): return 1.0 if 1 <= i + m - 2 <= Hn else 0.0
R['v4 dh'] = same(dh_from(lambda b, o, c, m, n: sum(G1(b, o, i, j) * X1(b, c, i + m - 2, j + n - 2) * ive(i, m, H) * ive(j, n, W)
        for i in range(1, H + 1) for j in range(1, W + 1)), 1), DH)

# v5 dx: 0-based derivation
R['v5 dx line1 (chain rule; dy/dx = h_{o,c,i-p+1,j-q+1})'] = same(dx_from(lambda b, c, i, j: sum(G0(b, o, p, q) * Hk0(o, c, i - p + 1, j - q + 1)
        for o in range(Co) for p in range(H) for q in range(W)), 0), DX)
R['v5 dx line2 (h_{o,c,p-i+1,q-j+1})'] = same(dx_from(lambda b, c, i, j: sum(G0(b, o, p, q) * Hk0(o, c, p - i + 1, q - j + 1)
        for o in range(Co) for p in range(H) for q in range(W)), 0), DX)
R['v5 dx line3'] = same(dx_from(lambda b, c, i, j: sum(G0(b, o, i - m + 1, j - n + 1) * Hk0(o, c, m, n)
        for o in range(Co) for m in rng0 for n in rng0), 0), DX)
# v5 dh: dL/dh_{o,c} = x_c (x) g_o, padding 1
R['v5 dh'] = same(noRot, DH)

# v6 dx: dL/dy (x) rot180(h^T), padding 2
v6dx = np.zeros((N, Ci, H + 2, W + 2))
for b in range(N):
    for c in range(Ci):
        v6dx[b, c] = sum(corr_full(g[b, o], np.rot90(h[o, c], 2), 2) for o in range(Co))
R['v6 dx (padding 2), shape %s vs %s' % (v6dx.shape[2:], DX.shape[2:])] = same(v6dx, DX)
R['v6 dx: centre crop of padding-2 result equals truth (so only the padding is off)'] = same(v6dx[:, :, 1:-1, 1:-1], DX)
# v6 dh: 0-based, x_{c,i-m+1,j-n+1}
v6dh = dh_from(lambda b, o, c, m, n: sum(G0(b, o, i, j) * X0(b, c, i - m + 1, j - n + 1) for i in range(H) for j in range(W)), 0)
R['v6 dh'] = same(v6dh, DH)
R['v6 dh == rot180(truth) (extra rotation)'] = same(v6dh, np.rot90(DH, 2, axes=(2, 3)))

# v7 dx: 0-based, h_{c,o,m,n} (channels not swapped; h is C_out x C_in, so h[c,o] with o=2 is out of range -> 0)
R['v7 dx (h_{c,o})'] = same(dx_from(lambda b, c, i, j: sum(G0(b, o, i - m + 1, j - n + 1) * Hk0(c, o, m, n)
        for o in range(Co) for m in rng0 for n in rng0), 0), DX)
# v7 dh: i from 1 to H-1 (row 0 cut), j from 0 to W-1
R['v7 dh (i = 1..H-1)'] = same(dh_from(lambda b, o, c, m, n: sum(G0(b, o, i, j) * X0(b, c, i + m - 1, j + n - 1)
        for i in range(1, H) for j in range(W)), 0), DH)
R['v7 dh read 1-based (i=1..H-1, j=0..W-1 with j=0 zero)'] = same(dh_from(lambda b, o, c, m, n: sum(G1(b, o, i, j) * X1(b, c, i + m - 1, j + n - 1)
        for i in range(1, H) for j in range(0, W)), 1), DH)

for k, v in R.items(): print(('EQUAL     ' if v else 'DIFFERENT ') + k)

# ---------------- problem 2: wrong values of the named mistakes ----------------
from fractions import Fraction as Fr
X2 = np.array([[[1, 2, 3, 4], [8, 7, 6, 5], [9, 10, 11, 12], [16, 15, 14, 13]],
               [[29, 30, 31, 32], [28, 27, 26, 25], [21, 22, 23, 24], [20, 19, 18, 17]]], float)
K = np.array([[[[-1, 0, 1]] * 3, [[-1, -1, -1], [0, 0, 0], [1, 1, 1]]],
              [[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 0, 1], [0, 1, 0], [1, 0, 0]]]], float)
def conv(Kk): return np.array([[[np.sum(X2[:, i:i + 3, j:j + 3] * Kk[o]) for j in range(2)] for i in range(2)] for o in range(2)])
def forward(conv1, relu=True, scale=0.1, target=2, flat='chw'):
    r = np.maximum(conv1, 0) if relu else conv1
    v = r.reshape(-1) if flat == 'chw' else r.transpose(1, 2, 0).reshape(-1)
    fc = scale * np.ones((5, 8)) @ v
    p = np.exp(fc - fc.max()); p /= p.sum()
    y = np.eye(5)[target]
    return dict(conv1=conv1, relu1=r, fc1=fc, p=p, L=-np.log(p[target]), L10=-np.log10(p[target]),
                dL_dp=-y / p, dL_dfc1=p - y, dL_drelu1=scale * np.ones((8, 5)) @ (p - y), dL_dW=np.outer(p - y, v),
                dL_dfc1_softmax=p, dL_drelu1_softmax=scale * np.ones((8, 5)) @ p, dL_dW_softmax=np.outer(p, v))
np.set_printoptions(precision=4, suppress=True, linewidth=150)
T = forward(conv(K))
print('\ntruth:', {k: T[k] for k in ('conv1', 'fc1', 'p', 'L', 'dL_dp', 'dL_dfc1', 'dL_drelu1')}, '\ndL_dW\n', T['dL_dW'])
KF = forward(conv(K[:, :, ::-1, ::-1]))
print('kernel_flipped: conv1', KF['conv1'].tolist(), 'fc1', KF['fc1'], 'p', KF['p'], '\n dL_dW\n', KF['dL_dW'])
RM = forward(conv(K), relu=False)
print('relu_mask (ReLU left out): relu1', RM['relu1'].tolist(), 'fc1', RM['fc1'])
print('softmax_for_gradient: dL_dfc1', T['dL_dfc1_softmax'], 'dL_drelu1', T['dL_drelu1_softmax'], '\n dL_dW\n', T['dL_dW_softmax'])
print('fc_scale: fc1', forward(conv(K), scale=1.0)['fc1'])
print('log_base_10: L', T['L10'])
WT = forward(conv(K), target=1)
print('wrong_target (y_2): dL_dp', WT['dL_dp'], '\n dL_dW\n', WT['dL_dW'])
print('sign_flipped: dL_dp', -T['dL_dp'], 'dL_dfc1', -T['dL_dfc1'])
FO = forward(conv(K), flat='hwc')
print('flatten_order (channel last): dL_dW\n', FO['dL_dW'])
print('transposed dL_dW (8x5)\n', T['dL_dW'].T)
print('transposed conv1 channels', conv(K).transpose(0, 2, 1).tolist())
print('L=ln5 =', np.log(5), '| 1.62 off by', 1.62 - np.log(5), '| 1.60 off by', 1.60 - np.log(5), '| 1.6 off by', 1.6 - np.log(5), '| 1.609 off by', 1.609 - np.log(5))
