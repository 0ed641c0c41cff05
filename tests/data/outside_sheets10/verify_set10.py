"""Set 10 verification: problem-1 formulas (NumPy loops vs PyTorch autograd) and problem-2 mistake values.
NumPy/PyTorch only. Run: /work/main/.venv/bin/python verify_set10.py"""
import numpy as np, torch

rng = np.random.default_rng(10)
N, Ci, Co, H, W = 2, 2, 3, 4, 5
x = rng.standard_normal((N, Ci, H, W)); h = rng.standard_normal((Co, Ci, 3, 3)); g = rng.standard_normal((N, Co, H, W))
xt = torch.tensor(x, requires_grad=True); ht = torch.tensor(h, requires_grad=True)
y = torch.nn.functional.conv2d(xt, ht, padding=1)
(y * torch.tensor(g)).sum().backward()
DX, DH = xt.grad.numpy(), ht.grad.numpy()

# 0-based accessors, out-of-range entries 0
def X(b, c, i, j): return x[b, c, i, j] if 0 <= i < H and 0 <= j < W else 0.0
def G(b, o, i, j): return g[b, o, i, j] if 0 <= i < H and 0 <= j < W else 0.0
def K(o, c, m, n): return h[o, c, m, n] if 0 <= m < 3 and 0 <= n < 3 else 0.0
# 1-based accessors (the sheet's own numbering)
def X1(b, c, i, j): return X(b, c - 1, i - 1, j - 1)
def G1(b, o, i, j): return G(b, o - 1, i - 1, j - 1)
def K1(o, c, m, n): return K(o - 1, c - 1, m - 1, n - 1)

def dx_from(f):  # f(b, c, i, j) in 0-based array positions
    return np.array([[[[f(b, c, i, j) for j in range(W)] for i in range(H)] for c in range(Ci)] for b in range(N)])
def dh_from(f):  # f(o, c, m, n)
    return np.array([[[[f(o, c, m, n) for n in range(3)] for m in range(3)] for c in range(Ci)] for o in range(Co)])
def same(a, b): return a.shape == b.shape and np.allclose(a, b, atol=1e-10)
res = {}

# ---- w1_gaoyang (1-based, seed names in_i,out_j,w_i,h_i; w = row index as the sheet says; per image) ----
# dx line 1 (chain rule) is the definition; line 2: sum_{out_j,w_j,h_j} dL/dy_{out_j,w_j,h_j} h_{in_i,out_j,w_i-w_j+2,h_i-h_j+2}
# (h_{in_i,out_j}: index shared with x is the input channel, i.e. array h[out_j-1, in_i-1])
w1_dx2 = dx_from(lambda b, c, i, j: sum(G1(b, o, wj, hj) * K1(o, c + 1, (i + 1) - wj + 2, (j + 1) - hj + 2)
                                         for o in range(1, Co + 1) for wj in range(1, H + 1) for hj in range(1, W + 1)))
w1_dx3 = dx_from(lambda b, c, i, j: sum(G1(b, o, (i + 1) - a + 2, (j + 1) - bb + 2) * K1(o, c + 1, a, bb)
                                         for o in range(1, Co + 1) for a in range(1, 4) for bb in range(1, 4)))
res['w1 dx line2'] = same(w1_dx2, DX); res['w1 dx line3'] = same(w1_dx3, DX)
# dh (sums over images stated): sum_n sum_{w_j,h_j} dL/dy_{n,out_j,w_j,h_j} x_{n,in_i,w_j+a-1,h_j+b-1}   (shifted: should be -2)
w1_dh = dh_from(lambda o, c, m, n: sum(G1(b, o + 1, wj, hj) * X1(b, c + 1, wj + (m + 1) - 1, hj + (n + 1) - 1)
                                       for b in range(N) for wj in range(1, H + 1) for hj in range(1, W + 1)))
res['w1 dh'] = same(w1_dh, DH)

# ---- w2_miller (0-based, N = 1 stated: formulas per image; dh summed over images for the comparison) ----
w2_dx = dx_from(lambda b, c, i, j: sum(G(b, o, i - m + 1, j - n + 1) * K(o, c, m, n)
                                        for o in range(Co) for m in range(3) for n in range(3)))
w2_dh = dh_from(lambda o, c, m, n: sum(G(b, o, i, j) * X(b, c, i - m + 1, j - n + 1)
                                       for b in range(N) for i in range(H) for j in range(W)))
res['w2 dx'] = same(w2_dx, DX); res['w2 dh'] = same(w2_dh, DH)
res['w2 dh == rot180(true) (extra rotation)'] = same(w2_dh, DH[:, :, ::-1, ::-1])

# ---- closed forms: corr(a, k, pad) = one-channel cross-correlation ----
def corr(a, k, pad):
    a = np.pad(a, pad); kh, kw = k.shape
    return np.array([[np.sum(a[i:i + kh, j:j + kw] * k) for j in range(a.shape[1] - kw + 1)] for i in range(a.shape[0] - kh + 1)])
# w3: dL/dy (x) rot180(h) (course convention: sum over output channels), and x (x) dL/dy (padding 1, summed over images)
w3_dx = np.array([[sum(corr(g[b, o], h[o, c, ::-1, ::-1], 1) for o in range(Co)) for c in range(Ci)] for b in range(N)])
w3_dh = np.array([[sum(corr(x[b, c], g[b, o], 1) for b in range(N)) for c in range(Ci)] for o in range(Co)])
res['w3 dx'] = same(w3_dx, DX); res['w3 dh'] = same(w3_dh, DH)

# ---- w4_okonkwo (1-based, g, batch index b in dh only) ----
w4_dx2 = dx_from(lambda b, c, i, j: sum(G1(b, o, p, q) * K1(o, c + 1, p - (i + 1) + 2, q - (j + 1) + 2)
                                         for o in range(1, Co + 1) for p in range(1, H + 1) for q in range(1, W + 1)))
w4_dx3 = dx_from(lambda b, c, i, j: sum(G1(b, o, (i + 1) - m + 2, (j + 1) - n + 2) * K1(o, c + 1, m, n)
                                         for o in range(1, Co + 1) for m in range(1, 4) for n in range(1, 4)))
res['w4 dx line2 (wrong step expected)'] = same(w4_dx2, DX); res['w4 dx line3'] = same(w4_dx3, DX)
w4_dh = dh_from(lambda o, c, m, n: sum(G1(b, o + 1, p, q) * X1(b, c + 1, p + (m + 1) - 2, q + (n + 1) - 2)
                                       for b in range(N) for p in range(1, H + 1) for q in range(1, W + 1)))
res['w4 dh'] = same(w4_dh, DH)

# ---- w5_zhangmin (0-based) ----
# dx without the sum over o: o free. Try each fixed o; none equals the truth.
for o0 in range(Co):
    w5_dx = dx_from(lambda b, c, i, j: sum(G(b, o0, i - m + 1, j - n + 1) * K(o0, c, m, n) for m in range(3) for n in range(3)))
    res[f'w5 dx (o={o0})'] = same(w5_dx, DX)
# dh with i from 1 (bounds cut row 0): sum_b sum_{i=1}^{H-1} sum_{j=0}^{W-1}
w5_dh = dh_from(lambda o, c, m, n: sum(G(b, o, i, j) * X(b, c, i + m - 1, j + n - 1)
                                       for b in range(N) for i in range(1, H) for j in range(W)))
res['w5 dh'] = same(w5_dh, DH)

# ---- w6_dubois: closed forms with channel indices ----
w6_dx = np.array([[sum(corr(g[b, o], h[o, c], 1) for o in range(Co)) for c in range(Ci)] for b in range(N)])
res['w6 dx (no rotation)'] = same(w6_dx, DX)
res['w6 dx with rot180 (correction)'] = same(np.array([[sum(corr(g[b, o], h[o, c, ::-1, ::-1], 1) for o in range(Co)) for c in range(Ci)] for b in range(N)]), DX)
w6_dh = np.array([[sum(corr(x[b, c], g[b, o], 2) for b in range(N)) for c in range(Ci)] for o in range(Co)])
res['w6 dh (padding 2) shape ' + str(w6_dh.shape)] = same(w6_dh, DH)
res['w6 dh with padding 1 (correction)'] = same(np.array([[sum(corr(x[b, c], g[b, o], 1) for b in range(N)) for c in range(Ci)] for o in range(Co)]), DH)

# ---- w7_chenhao: the seed's (3) (course convention: sum over output channels) and (6) ----
w7_dx = np.array([[sum(corr(g[b, o], h[o, c, ::-1, ::-1], 1) for o in range(Co)) for c in range(Ci)] for b in range(N)])
w7_dh = np.array([[sum(corr(g[b, o], x[b, c, ::-1, ::-1], 1) for b in range(N)) for c in range(Ci)] for o in range(Co)])
res['w7 dx (seed 3)'] = same(w7_dx, DX); res['w7 dh (seed 6)'] = same(w7_dh, DH)
res['w7 dh (seed 6) == rot180(true)'] = same(w7_dh, DH[:, :, ::-1, ::-1])

for k, v in res.items(): print(f'{k:45s} {v}')

# ---- problem 2: the exact solution and the mistake values used in expected.toml ----
F = np.array([[[1, 2, 3, 4], [8, 7, 6, 5], [9, 10, 11, 12], [16, 15, 14, 13]],
              [[29, 30, 31, 32], [28, 27, 26, 25], [21, 22, 23, 24], [20, 19, 18, 17]]], float)
Hk = np.array([[[[-1, 0, 1]] * 3, [[-1, -1, -1], [0, 0, 0], [1, 1, 1]]],
               [[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 0, 1], [0, 1, 0], [1, 0, 0]]]], float)
def conv_valid(Fm, Hm):
    return np.array([[[np.sum(Fm[:, i:i + 3, j:j + 3] * Hm[o]) for j in range(2)] for i in range(2)] for o in range(2)])
def forward(Hm, scale=0.1):
    c1 = conv_valid(F, Hm); r1 = np.maximum(c1, 0); Wfc = np.full((5, 8), scale); f1 = Wfc @ r1.ravel()
    p = np.exp(f1 - f1.max()); p /= p.sum(); return c1, r1, f1, p
c1, r1, f1, p = forward(Hk); t = np.eye(5)[2]
print('conv1', c1.tolist(), 'fc1', f1, 'p', p, 'L', -np.log(p[2]))
print('dL/dW true\n', np.outer(p - t, r1.ravel()))
kc1, kr1, kf1, kp = forward(Hk[:, :, ::-1, ::-1])
print('kernel_flipped conv1', kc1.tolist(), 'relu1', kr1.tolist(), 'fc1', kf1, 'p', kp)
print('fc_scale fc1', forward(Hk, 1.0)[2])
print('log_base_10 L', np.log10(5), 'dL/dp3', -1 / (p[2] * np.log(10)))
print('softmax_for_gradient dL/dfc1', p, 'dL/drelu1', np.full((5, 8), .1).T @ p,
      'dL/dconv1', ((c1 > 0) * (np.full((5, 8), .1).T @ p).reshape(2, 2, 2)).tolist())
print('sign_flipped dL/dfc1', t - p, 'dL/dW\n', np.outer(t - p, r1.ravel()))
print('wrong_target (class 4) dL/dfc1', p - np.eye(5)[3])
print('flatten_order (channel last) dL/dW\n', np.outer(p - t, r1.transpose(1, 2, 0).ravel()))
