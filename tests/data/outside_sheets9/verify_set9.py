"""Set 9 (blind): the tester's own check of every problem-1 formula on the sheets, and of the wrong values
named as mistakes in problem 2.  Plain NumPy / PyTorch, no symconv import.

Run:  /work/main/.venv/bin/python tests/data/outside_sheets9/verify_set9.py
"""
import numpy as np
import torch

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(9)
N, Ci, Co, H, W = 2, 2, 3, 4, 5
x = rng.standard_normal((N, Ci, H, W))
h = rng.standard_normal((Co, Ci, 3, 3))
g = rng.standard_normal((N, Co, H, W))
xt = torch.tensor(x, requires_grad=True)
ht = torch.tensor(h, requires_grad=True)
y = torch.nn.functional.conv2d(xt, ht, padding=1)  # cross-correlation, padding 1, stride 1
(y * torch.tensor(g)).sum().backward()
DX, DH = xt.grad.numpy(), ht.grad.numpy()


def rot(a):
    return a[..., ::-1, ::-1]


# 0-based accessors, zero outside
def X(b, c, i, j):
    return x[b, c, i, j] if 0 <= c < Ci and 0 <= i < H and 0 <= j < W else 0.0


def G(b, o, i, j):
    return g[b, o, i, j] if 0 <= o < Co and 0 <= i < H and 0 <= j < W else 0.0


def K(o, c, m, n):
    return h[o, c, m, n] if 0 <= o < Co and 0 <= c < Ci and 0 <= m < 3 and 0 <= n < 3 else 0.0


# 1-based accessors
def X1(b, c, i, j):
    return X(b, c - 1, i - 1, j - 1)


def G1(b, o, i, j):
    return G(b, o - 1, i - 1, j - 1)


def K1(o, c, m, n):
    return K(o - 1, c - 1, m - 1, n - 1)


def iv(cond):  # Iverson bracket
    return 1.0 if cond else 0.0


def dx0(f):  # f(b, c, i, j) 0-based -> (N, Ci, H, W)
    return np.array([[[[f(b, c, i, j) for j in range(W)] for i in range(H)] for c in range(Ci)] for b in range(N)])


def dx1(f):  # f 1-based
    return dx0(lambda b, c, i, j: f(b, c + 1, i + 1, j + 1))


def dh0(f):  # f(o, c, m, n) 0-based -> (Co, Ci, 3, 3)
    return np.array([[[[f(o, c, m, n) for n in range(3)] for m in range(3)] for c in range(Ci)] for o in range(Co)])


def dh1(f):
    return dh0(lambda o, c, m, n: f(o + 1, c + 1, m + 1, n + 1))


def corr(inp, tmpl, pad):  # the template operation: inp padded by pad, tmpl slid over it (valid)
    p = np.pad(inp, pad)
    kh, kw = tmpl.shape
    return np.array([[np.sum(p[a:a + kh, b:b + kw] * tmpl) for b in range(p.shape[1] - kw + 1)]
                     for a in range(p.shape[0] - kh + 1)])


S = sum
R0H, R0W, R1H, R1W, R3 = range(H), range(W), range(1, H + 1), range(1, W + 1), range(1, 4)
forms = {}

# ---------------- z1_liuyang (1-based, the seed's names; b is the image, the sheet treats one image at a time)
# dx line 1/2: sum_{out_j} sum_{w_j,h_j} dL/dy_{out_j,w_j,h_j} * dy/dx = ... h_{out_j,in_i,w_i-w_j+2,h_i-h_j+2}
forms['z1 dx line1 (dy/dx by definition)'] = dx1(lambda b, ci, wi, hi: S(
    G1(b, o, wj, hj) * S(K1(o, ci, a, bb) for a in R3 for bb in R3 if wj + a - 2 == wi and hj + bb - 2 == hi)
    for o in range(1, Co + 1) for wj in R1H for hj in R1W)), 'dx'
forms['z1 dx line2'] = dx1(lambda b, ci, wi, hi: S(
    G1(b, o, wj, hj) * K1(o, ci, wi - wj + 2, hi - hj + 2)
    for o in range(1, Co + 1) for wj in R1H for hj in R1W)), 'dx'
forms['z1 dx line3'] = dx1(lambda b, ci, wi, hi: S(
    G1(b, o, wi - a + 2, hi - bb + 2) * K1(o, ci, a, bb) for o in range(1, Co + 1) for a in R3 for bb in R3)), 'dx'
# dh line 1: sum_{out_j} sum_{w_j,h_j} dL/dy_{out_j,w_j,h_j} [out_j = out_i] x_{in_i,w_j+a-2,h_j+b-2}; line 2 drops out_j
forms['z1 dh line1'] = dh1(lambda oi, ci, a, bb: S(
    G1(n, o, wj, hj) * iv(o == oi) * X1(n, ci, wj + a - 2, hj + bb - 2)
    for n in range(N) for o in range(1, Co + 1) for wj in R1H for hj in R1W)), 'dh'
forms['z1 dh line2'] = dh1(lambda oi, ci, a, bb: S(
    G1(n, oi, wj, hj) * X1(n, ci, wj + a - 2, hj + bb - 2) for n in range(N) for wj in R1H for hj in R1W)), 'dh'

# ---------------- z2_chen_ming (0-based, N = 1 stated, g)
forms['z2 dx line1'] = forms['z1 dx line1 (dy/dx by definition)'][0], 'dx'
forms['z2 dx line2 (h_{o,c,p-i+1,q-j+1})'] = dx0(lambda b, c, i, j: S(
    G(b, o, p, q) * K(o, c, p - i + 1, q - j + 1) for o in range(Co) for p in R0H for q in R0W)), 'dx'
forms['z2 dx line3'] = dx0(lambda b, c, i, j: S(
    G(b, o, i - m + 1, j - n + 1) * K(o, c, m, n) for o in range(Co) for m in range(3) for n in range(3))), 'dx'
forms['z2 dh (x_{c,p+m,q+n})'] = dh0(lambda o, c, m, n: S(
    G(b, o, p, q) * X(b, c, p + m, q + n) for b in range(N) for p in R0H for q in R0W)), 'dh'

# ---------------- z4_zhao_lei (1-based, delta)
forms['z4 dx (delta_{o,i+m-2,j+n-2})'] = dx1(lambda b, c, i, j: S(
    G1(b, o, i + m - 2, j + n - 2) * K1(o, c, m, n) for o in range(1, Co + 1) for m in R3 for n in R3)), 'dx'
forms['z4 dh (Iverson, batch)'] = dh1(lambda o, c, m, n: S(
    G1(b, o, i, j) * X1(b, c, i + m - 2, j + n - 2) * iv(1 <= i + m - 2 <= H) * iv(1 <= j + n - 2 <= W)
    for b in range(N) for i in R1H for j in R1W)), 'dh'

# ---------------- z5_sunxiaomei (0-based, delta, N = 1 stated)
forms['z5 dx line1'] = forms['z1 dx line1 (dy/dx by definition)'][0], 'dx'
forms['z5 dx line2 (Iverson)'] = dx0(lambda b, c, i, j: S(
    G(b, o, p, q) * S(K(o, c, m, n) * iv(p + m - 1 == i) * iv(q + n - 1 == j) for m in range(3) for n in range(3))
    for o in range(Co) for p in R0H for q in R0W)), 'dx'
forms['z5 dx line3'] = dx0(lambda b, c, i, j: S(
    K(o, c, m, n) * G(b, o, i - m + 1, j - n + 1) for o in range(Co) for m in range(3) for n in range(3))), 'dx'
forms['z5 dx line4'] = dx0(lambda b, c, i, j: S(
    G(b, o, p, q) * K(o, c, i - p + 1, j - q + 1) for o in range(Co) for p in R0H for q in R0W)), 'dx'
forms['z5 dh line1 (full bounds)'] = dh0(lambda o, c, m, n: S(
    G(b, o, p, q) * X(b, c, p + m - 1, q + n - 1) for b in range(N) for p in R0H for q in R0W)), 'dh'
forms['z5 dh line2 (p=1..H-2, q=1..W-2)'] = dh0(lambda o, c, m, n: S(
    G(b, o, p, q) * X(b, c, p + m - 1, q + n - 1) for b in range(N) for p in range(1, H - 1) for q in range(1, W - 1))), 'dh'

# ---------------- z7_huangyu (dh: centred kernel positions u, v in {-1,0,1}, batch n)
forms['z7 dh (centred u,v)'] = dh0(lambda o, c, m, n: S(
    G(b, o, i, j) * X(b, c, i + (m - 1), j + (n - 1)) for b in range(N) for i in R0H for j in R0W)), 'dh'

# ---------------- z8_okonkwo (dh: 0-based, g with batch index)
forms['z8 dh (x_{b,c,i-m+1,j-n+1})'] = dh0(lambda o, c, m, n: S(
    G(b, o, i, j) * X(b, c, i - m + 1, j - n + 1) for b in range(N) for i in R0H for j in R0W)), 'dh'

# ---------------- z9_linfeng (1-based, delta, N = 1): no sum over o (o free on the right): try every fixed o
for oo in range(1, Co + 1):
    forms[f'z9 dx (no sum over o, o fixed = {oo})'] = dx1(lambda b, c, i, j, oo=oo: S(
        G1(b, oo, i - m + 2, j - n + 2) * K1(oo, c, m, n) for m in R3 for n in R3)), 'dx'

# ---------------- z10_tanaka dh (0-based, batch b, stacked sum over 0 <= i < H, 0 <= j < W)
forms['z10 dh'] = dh0(lambda o, c, m, n: S(
    G(b, o, i, j) * X(b, c, i + m - 1, j + n - 1) for b in range(N) for i in R0H for j in R0W)), 'dh'

# ---------------- closed forms
# z3 dx: dL/dy (x) h, bare template operation (padding 1, sum over output channels implied), no rotation
forms['z3 dx  g (x) h  (no rot)'] = np.array([[S(corr(g[b, o], h[o, c], 1) for o in range(Co)) for c in range(Ci)]
                                              for b in range(N)]), 'dx'
# z3 dh: x (x) dL/dy, padding 1, batch summed
forms['z3 dh  x (x) g'] = np.array([[S(corr(x[b, c], g[b, o], 1) for b in range(N)) for c in range(Ci)]
                                    for o in range(Co)]), 'dh'
# z6 dx: dL/dx_c = sum_o dL/dy_o (x) rot180(h_{o,c})
forms['z6 dx  sum_o g_o (x) rot180(h_oc)'] = np.array([[S(corr(g[b, o], rot(h[o, c]), 1) for o in range(Co))
                                                       for c in range(Ci)] for b in range(N)]), 'dx'
# z6 dh: dL/dh_{o,c} = dL/dy_o (x) x_c
forms['z6 dh  g_o (x) x_c'] = np.array([[S(corr(g[b, o], x[b, c], 1) for b in range(N)) for c in range(Ci)]
                                        for o in range(Co)]), 'dh'
# z7 dx: pad_2(dL/dy) star rot180(h^T)  -> (H+2) x (W+2)
forms['z7 dx  pad2(g) * rot180(h^T)'] = np.array([[S(corr(g[b, o], rot(h[o, c]), 2) for o in range(Co))
                                                  for c in range(Ci)] for b in range(N)]), 'dx'
# the seed's (3) (z10 dx), with the course's convention: bare (x) between dL/dy and h sums over output channels
forms["seed (3)  g (x) rot180(h), sum over o"] = np.array([[S(corr(g[b, o], rot(h[o, c]), 1) for o in range(Co))
                                                          for c in range(Ci)] for b in range(N)]), 'dx'
# the seed's (6) (z9 dh): dL/dy (x) x^{rotate 180}
# the seed's (6), for reference: dL/dy (x) x^{rot180}
forms['seed (6)  g (x) rot180(x)'] = np.array([[S(corr(g[b, o], rot(x[b, c]), 1) for b in range(N)) for c in range(Ci)]
                                              for o in range(Co)]), 'dh'

dx_norot = forms['z3 dx  g (x) h  (no rot)'][0]
print(f'{"formula":45s} result')
for k, (v, t) in forms.items():
    ref = DX if t == 'dx' else DH
    if v.shape != ref.shape:
        print(f'{k:45s} DIFF shape {v.shape} vs {ref.shape}')
        continue
    same = np.allclose(v, ref, atol=1e-12)
    extra = []
    if not same and np.allclose(v, rot(ref)):
        extra.append('== rot180(true)')
    if not same and t == 'dx' and np.allclose(v, dx_norot):
        extra.append('== g (x) h unrotated (no_rotation)')
    print(f'{k:45s} {"OK" if same else "DIFF"} {" ".join(extra)}')

# z7 dx with padding 1 instead of 2 (the correction pad_off_by_one names)
print('z7 dx with pad 1 instead of 2 == true:',
      np.allclose(np.array([[S(corr(g[b, o], rot(h[o, c]), 1) for o in range(Co)) for c in range(Ci)] for b in range(N)]), DX))
# z2 dh: does the pad-2/shift explain it? compare with correlation of x padded (0, 2)
z2dh = forms['z2 dh (x_{c,p+m,q+n})'][0]
print('z2 dh == any rot/transpose of true:', np.allclose(z2dh, rot(DH)), np.allclose(z2dh, DH.transpose(0, 1, 3, 2)))

# z8 dx: sum_o dL/dy_o (x) rot180(h_{c,o}): h is C_out x C_in, so h_{c,o} needs c < C_out and o < C_in.
# At C_in = 2, C_out = 3 it reads h[c, 2], outside h; at C_in = C_out = 2 (square) it is evaluable and differs:
Cs = 2
xs = rng.standard_normal((1, Cs, H, W)); hs = rng.standard_normal((Cs, Cs, 3, 3)); gs = rng.standard_normal((1, Cs, H, W))
xst = torch.tensor(xs, requires_grad=True)
(torch.nn.functional.conv2d(xst, torch.tensor(hs), padding=1) * torch.tensor(gs)).sum().backward()
z8dx = np.array([[S(corr(gs[0, o], rot(hs[c, o]), 1) for o in range(Cs))] for c in range(Cs)]).transpose(1, 0, 2, 3)
z8fix = np.array([[S(corr(gs[0, o], rot(hs[o, c]), 1) for o in range(Cs))] for c in range(Cs)]).transpose(1, 0, 2, 3)
print('z8 dx (h_{c,o}) at C_in = C_out = 2 == true:', np.allclose(z8dx, xst.grad.numpy()),
      '| with h_{o,c} (swap made) == true:', np.allclose(z8fix, xst.grad.numpy()))

# ---------------- problem 2: the wrong values named as mistakes, from the homework's data
F = np.array([[[1, 2, 3, 4], [8, 7, 6, 5], [9, 10, 11, 12], [16, 15, 14, 13]],
              [[29, 30, 31, 32], [28, 27, 26, 25], [21, 22, 23, 24], [20, 19, 18, 17]]], float)
Hk = np.array([[[[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], [[-1, -1, -1], [0, 0, 0], [1, 1, 1]]],
               [[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 0, 1], [0, 1, 0], [1, 0, 0]]]], float)


def conv_valid(f, k):
    return np.array([S(corr(f[c], k[o, c], 0) for c in range(2)) for o in range(2)])


def forward(k, wscale=0.1, flat=lambda r: r.reshape(-1), relu=True, target=2, log=np.log):
    c1 = conv_valid(F, k)
    r1 = np.maximum(c1, 0) if relu else c1
    v = flat(r1)
    Wm = np.full((5, v.size), wscale)
    f1 = Wm @ v
    p = np.exp(f1 - f1.max()); p /= p.sum()
    yv = np.zeros(5); yv[target] = 1
    L = -log(p[target])
    dp = -yv / p * (1 / np.log(10) if log is np.log10 else 1)
    dfc = p - yv
    return dict(conv1=c1, relu1=r1, fc1=f1, p=p, L=L, dL_dp=dp, dL_dfc1=dfc, dL_drelu1=Wm.T @ dfc,
                dL_dW=np.outer(dfc, v))


np.set_printoptions(precision=5, suppress=True, linewidth=150)
true = forward(Hk)
print('\ntrue: conv1', true['conv1'].tolist(), 'fc1', true['fc1'], 'L', true['L'])
print('true dL_dW row 1, row 3:', true['dL_dW'][0], true['dL_dW'][2])
kf = forward(rot(Hk))
print('kernel_flipped: conv1', kf['conv1'].tolist(), 'relu1', kf['relu1'].tolist(), 'fc1', kf['fc1'])
l10 = forward(Hk, log=np.log10)
print('log_base_10: L', l10['L'], 'dL_dp', l10['dL_dp'])
fs = forward(Hk, wscale=1)
print('fc_scale: fc1', fs['fc1'], 'p', fs['p'])
nr = forward(Hk, relu=False)
print('relu_mask (ReLU left out): fc1', nr['fc1'], 'dL_dW rows 1, 3:', nr['dL_dW'][0], nr['dL_dW'][2])
fo = forward(Hk, flat=lambda r: r.transpose(1, 2, 0).reshape(-1))
print('flatten_order (channel last): dL_dW row 1, row 3', fo['dL_dW'][0], fo['dL_dW'][2])
wt = forward(Hk, target=1)
print('wrong_target (y_2): L', wt['L'], 'dL_dp', wt['dL_dp'], 'dL_dfc1', wt['dL_dfc1'], 'dL_dW row 2', wt['dL_dW'][1])
p = true['p']
print('softmax_for_gradient: dL_drelu1 = W^T p =', (np.full((5, 8), 0.1).T @ p)[:3], '... ; dL_dconv1 ch1 masked to 0, ch2 0.1')
print('sign_flipped: dL_dp', -true['dL_dp'], 'dL_dfc1', -true['dL_dfc1'])
print('rounded: ln 5 =', np.log(5), '| 1.62 off by', abs(1.62 - np.log(5)), '(> 0.005, < 1% =', 0.01 * np.log(5), ')',
      '| 1.60 off by', abs(1.60 - np.log(5)))
print('z1 dL_dW slip (98 read as 96): 0.2*96 =', 0.2 * 96, ' -0.8*96 =', -0.8 * 96)
c_only1 = np.array([corr(F[0], Hk[o, 0], 0) for o in range(2)])
print('input channel 2 left out (z10): conv1', c_only1.tolist(), 'fc1 =', 0.1 * np.maximum(c_only1, 0).sum())
print('z10 dL_dW from that relu1: row 1', 0.2 * np.maximum(c_only1, 0).reshape(-1), 'row 3', -0.8 * np.maximum(c_only1, 0).reshape(-1))
print('kernel_flipped dL_dW rows 1, 3:', kf['dL_dW'][0], kf['dL_dW'][2])
print('log_base_10 dL_dfc1 = (p - y)/ln 10:', (true['p'] - np.eye(5)[2]) / np.log(10))
dconv_sfg = np.zeros((2, 2, 2)); dconv_sfg[1] = (np.full((5, 8), 0.1).T @ p).reshape(2, 2, 2)[1]
dh_sfg = np.array([[corr(F[c], dconv_sfg[o], 0) for c in range(2)] for o in range(2)])
print('softmax_for_gradient dL_dh (o=2, c=1 and c=2):', dh_sfg[1].tolist())
