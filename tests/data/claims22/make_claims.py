"""Writes claims.jsonl (intended verdicts); check_claims.py --write then records the checker's verdicts."""
import json
from pathlib import Path

C = []


def add(op, nd, opts, claim, intended, note):
    args = ["--op", op, "--ndim", str(nd)]
    for k, v in opts:
        args += [k] if v is None else [k, str(v)]
    C.append(dict(args=args, wrt="x", claim=claim, intended=intended, note=note))


R, W = "proved", "refuted"
# ---------------- conv_transpose: dL/dx = correlate(pad(g, (P, P - R)), h, stride=S, dilation=D, groups=G)
ct = "conv_transpose"
base = lambda K, S, P, D, Rr: [("--kernel-size", K), ("--stride", S), ("--padding", P), ("--dilation", D), ("--output-padding", Rr)]
add(ct, 1, base(4, 3, 2, 1, 2), "correlate(pad(g, (2, 0)), h, stride=3)", R,
    "right: g padded by P=2 in front, the output padding R=2 cropped from g's end (P - R = 0), no rotation, no swap.")
add(ct, 1, base(4, 3, 2, 1, 2), "correlate(pad(g, (0, 2)), h, stride=3)", W,
    "wrong: the padding pair on the wrong sides (output padding put at the front).")
add(ct, 1, base(3, 2, 1, 1, 1), "correlate(pad(g, (1, 0)), rot180(h), stride=2)", W,
    "wrong: an extra rotation carried over from the convolution's dL/dx (the transpose's dL/dx is a plain correlation with h).")
add(ct, 1, base(3, 1, 2, 2, 0), "correlate(pad(g, 2), h, stride=2)", W,
    "wrong: stride and dilation exchanged (the configuration has stride 1, dilation 2).")
add(ct, 1, base(2, 1, 0, 3, 2), "correlate(pad(g, (0, -2)), h, dilation=3)", R,
    "right, unusual: R=2 allowed because R < max(S, D) = 3; the output padding is a crop of g's end, written as a negative high width.")
add(ct, 2, base(3, 2, 1, 1, 1), "correlate(pad(g, (1, 0)), swap_io(h), stride=2)", W,
    "wrong: a channel swap carried over from the convolution (h is already C_in x C_out/G); fails when C_in != C_out or at 2 channels.")
add(ct, 2, base("3,2", "2,1", "1,0", 1, "1,0"), "correlate(pad(g, ((1, 0), (0, 0))), h, stride=(2, 1))", R,
    "right: per-axis (P, P - R) = (1, 0) on axis 1 and (0, 0) on axis 2, stride per axis.")
add(ct, 2, base(3, 2, 0, 1, 0) + [("--groups", 2)], "correlate(g, h, stride=2, groups=2)", R,
    "right: grouped transpose; h laid out C_in x C_out/G x K is already correlate's weight for g's C_out channels, groups kept. Reading: correlate's groups is given as a keyword.")
add(ct, 2, base(4, 2, 1, 1, 1), "correlate(pad(g, (0, 1)), h, stride=2)", W,
    "wrong: g read at the wrong stride phase (the front padding P=1 missing, one more zero at the end), same shape.")
add(ct, 1, base(3, 2, 1, 1, 1), "correlate(pad(g, 1), h, stride=2)", R,
    "right, looks wrong: output padding R=1 NOT cropped, but the one extra zero at g's end is never read by the stride-2 windows and floor((2H-1)/2)+1 = H keeps the shape.")
# ---------------- slice x[..., A:B:S]: dL/dx = pad(dilate(g, S), (A, (H - A - 1) mod S))
sl = "slice"
sb = lambda A, B, S: [("--start", A), ("--stop", B), ("--step", S)]
add(sl, 1, sb(2, "end", 3), "pad(dilate(g, 3), (2, H mod 3))", R,
    "right: high width (H - A - 1) mod S = (H - 3) mod 3 = H mod 3.")
add(sl, 1, sb(2, "end", 3), "pad(dilate(g, 3), (2, (H - 2) mod 3))", W,
    "wrong: remainder off by one ((H - A) mod S instead of (H - A - 1) mod S).")
add(sl, 1, sb(1, "end", 2), "pad(dilate(g, 2), (H mod 2, 1))", W,
    "wrong: the padding pair on the wrong sides (start's zeros put at the end).")
add(sl, 1, sb(3, "end", 1), "pad(g, (3, 0))", R, "right: step 1, the first 3 entries get no gradient.")
add(sl, 2, sb("1,0", "end", "2,3"), "pad(dilate(g, (2, 3)), ((1, H_1 mod 2), (0, (H_2 - 1) mod 3)))", R,
    "right: per axis (A, (H - A - 1) mod S). Reading: in 2-D the input sizes are named H_1, H_2 (as in the README's unfold example).")
add(sl, 2, sb(1, "end", 2), "pad(dilate(g, 2), (1, 1))", W,
    "wrong: the high width taken as constant 1 instead of H mod 2 on each axis.")
add(sl, 1, sb(0, "end", 4), "pad(dilate(g, 4), (0, (H + 3) mod 4))", R,
    "right, unusual form: (H + 3) mod 4 = (H - 1) mod 4.")
add(sl, 1, sb(0, "end", 4), "pad(dilate(g, 4), (0, 3 - ((H - 1) mod 4)))", W,
    "wrong: the remainder complemented (the distance to the next multiple instead of the leftover entries).")
add(sl, 1, sb(1, 8, 3), "pad(dilate(g, 3), (1, (H - 2) mod 3))", W,
    "wrong: the stop ignored (treated as end); right for H <= 10, fails at H = 11 where x[1:8:3] stops at 7. Reading: for H < B the slice is Python's (clipped to H); the smallest failure is the same either way.")
add(sl, 2, sb("0,2", "end", 1), "pad(g, ((0, 0), (2, 0)))", R, "right: step 1, axis 2 starts at 2.")
# ---------------- pad: dL/dx = pad(g, (-P, -Q))
pd = "pad"
add(pd, 1, [("--padding", 2), ("--padding-high", 1)], "pad(g, (-2, -1))", R, "right: a crop of 2 in front and 1 at the end.")
add(pd, 1, [("--padding", 2), ("--padding-high", 1)], "pad(g, (2, 1))", W, "wrong: a pad instead of a crop.")
add(pd, 1, [("--padding", 2), ("--padding-high", 1)], "pad(g, (-1, -2))", W, "wrong: the crop on the wrong sides.")
add(pd, 1, [("--padding", 0), ("--padding-high", 3)], "pad(g, (0, -3))", R, "right: only the end padded, only the end cropped.")
add(pd, 2, [("--padding", "1,2"), ("--padding-high", "0,3")], "pad(g, ((-1, 0), (-2, -3)))", R,
    "right: pairs listed per axis (low, high).")
add(pd, 2, [("--padding", "1,2"), ("--padding-high", "0,3")], "pad(g, ((-1, -2), (0, -3)))", W,
    "wrong: widths grouped as (lows), (highs) instead of one (low, high) pair per axis.")
add(pd, 2, [("--padding", 1), ("--padding-high", 1)], "pad(g, -1)", R, "right: a scalar width applies to both sides of every axis.")
add(pd, 2, [("--padding", "2,1"), ("--padding-high", "1,2")], "pad(g, ((-1, -2), (-2, -1)))", W,
    "wrong: axes reversed (F.pad's last-axis-first order).")
# ---------------- unfold: dL/dx = fold(g, (H_1, H_2), K, stride=S, padding=P, dilation=D)
uf = "unfold"
ub = lambda K, S, P, D: [("--kernel-size", K), ("--stride", S), ("--padding", P), ("--dilation", D)]
add(uf, 2, ub(2, 1, 0, 1), "fold(g, (H_1, H_2), 2)", R, "right: col2im at the image size. Reading: in 2-D the input sizes are named H_1, H_2 as in the README's unfold example.")
add(uf, 2, ub(3, 2, 1, 2), "fold(g, (H_1, H_2), 3, stride=2, padding=1, dilation=2)", R, "right: every parameter carried over.")
add(uf, 2, ub(3, 1, 1, 2), "fold(g, (H_1, H_2), 3, stride=2, padding=1)", W, "wrong: stride and dilation exchanged.")
add(uf, 2, ub(3, 2, 1, 1), "fold(g, (H_1, H_2), 3, stride=2)", W, "wrong: the padding forgotten (fold then expects other block counts).")
add(uf, 2, ub(2, 2, 0, 1), "unfold(g, 2, stride=2)", W, "wrong: unfold where fold belongs.")
add(uf, 2, ub("2,3", "1,2", 1, "2,1"), "fold(g, (H_1, H_2), (2, 3), stride=(1, 2), padding=1, dilation=(2, 1))", R,
    "right: per-axis kernel, stride, dilation (padding 1 on both axes, written as one number).")
add(uf, 2, ub("2,3", "1,2", 1, "2,1"), "fold(g, (H_1, H_2), (3, 2), stride=(1, 2), padding=1, dilation=(2, 1))", W,
    "wrong: the kernel's axes exchanged.")
add(uf, 1, ub(3, 2, 1, 1), "fold(g, H, 3, stride=2, padding=1)", R,
    "right (1-D). Reading: fold's output size in 1-D is written as the single size H.")
add(uf, 1, ub(2, 3, 0, 2), "fold(g, H, 2, stride=3, padding=1, dilation=2)", W, "wrong: padding off by one (1 where 0 belongs).")
add(uf, 1, ub(1, 2, 0, 1), "fold(g, H, 1, stride=2)", R, "right: kernel 1, stride 2 (the skipped entries get zero).")
# ---------------- fold (output size fixed): dL/dx = unfold(g, K, stride=S, padding=P, dilation=D)
fo = "fold"
fb = lambda O, K, S, P, D: [("--output-size", O), ("--kernel-size", K), ("--stride", S), ("--padding", P), ("--dilation", D)]
add(fo, 2, fb("5,4", 3, 1, 1, 1), "unfold(g, 3, padding=1)", R, "right: im2col of g with fold's parameters.")
add(fo, 2, fb("5,4", 3, 1, 1, 1), "unfold(g, 3)", W, "wrong: the padding forgotten.")
add(fo, 2, fb("6,7", 2, 2, 0, 1), "unfold(g, 2, stride=2)", R, "right: non-overlapping blocks.")
add(fo, 2, fb("6,6", 2, 1, 0, 2), "unfold(g, 2, stride=2)", W, "wrong: stride and dilation exchanged.")
add(fo, 2, fb("5,5", 2, 1, 0, 1), "fold(g, (5, 5), 2)", W, "wrong: fold where unfold belongs (g is the (N, C, 5, 5) image; folding it does not give the (N, C, 2, 2, 4, 4) column view of x; my evaluator reads the 4-D g as a 1-D column view and cannot evaluate it, the tool may instead report an operand or shape mismatch).")
add(fo, 2, fb("7,5", "3,2", "2,1", 1, "1,2"), "unfold(g, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2))", R,
    "right: per-axis kernel, stride and dilation.")
add(fo, 2, fb("7,5", "3,2", "2,1", 1, "1,2"), "unfold(g, (2, 3), stride=(2, 1), padding=1, dilation=(1, 2))", W,
    "wrong: the kernel's axes exchanged.")
add(fo, 1, fb(7, 3, 2, 1, 1), "unfold(g, 3, stride=2, padding=1)", R, "right (1-D).")
add(fo, 1, fb(8, 2, 3, 1, 2), "unfold(pad(g, 1), 2, stride=3, dilation=2)", R,
    "right, unusual form: the padding written as pad(g, 1) outside the unfold instead of padding=1.")
add(fo, 1, fb(8, 3, 2, 1, 1), "unfold(pad(g, (2, 0)), 3, stride=2)", W,
    "wrong: both sides' padding put in front (same shape, blocks shifted by one).")
# ---------------- avg_pool: dL/dx = sum_windows(pad(dilate(divide(g, d), S), (K - 1 - P, H + P - 1 - S (Ho - 1))), K)
ap = "avg_pool"
pb = lambda K, S, P: [("--kernel-size", K), ("--stride", S), ("--padding", P)]
add(ap, 1, pb(3, 1, 1) + [("--no-count-include-pad", None)], "sum_windows(pad(divide(g, 3), 1), 3)", W,
    "wrong: the divisor ignores count_include_pad=False (should be valid_count(3, 1, 1): 2 at the borders).")
add(ap, 1, pb(3, 1, 1) + [("--no-count-include-pad", None)], "sum_windows(pad(divide(g, valid_count(3, 1, 1)), 1), 3)", R,
    "right: the real entries of each window.")
add(ap, 1, pb(4, 2, 2) + [("--count-include-pad", None)], "sum_windows(pad(dilate(divide(g, count(4, 2, 2)), 2), (1, 1 + (H mod 2))), 4)", R,
    "right, unusual form: without ceil_mode count(4, 2, 2) is the kernel count 4 everywhere; high width K-1-P + ((H+2P-K) mod S) = 1 + (H mod 2).")
add(ap, 1, pb(4, 2, 2) + [("--count-include-pad", None)], "sum_windows(pad(dilate(divide(g, 5), 2), (1, 1 + (H mod 2))), 4)", W,
    "wrong: divisor off by one (K + 1).")
add(ap, 1, pb(3, 3, 1) + [("--ceil-mode", None), ("--count-include-pad", None)],
    "sum_windows(pad(dilate(divide(g, count(3, 3, 1)), 3), (1, 1 - ((1 - H) mod 3))), 3)", W,
    "wrong: the naive ceil_mode output size ceil((H+2P-K)/S)+1 (high width 1 - ((1 - H) mod 3)), without PyTorch's rule that drops a last window starting in the right padding: at H = 2 the second window would start at 3*1 - 1 = 2 >= H, so PyTorch has 1 output, the claim's shapes assume 2.")
add(ap, 1, pb(3, 3, 1) + [("--ceil-mode", None), ("--count-include-pad", None)],
    "sum_windows(pad(dilate(divide(g, count(3, 3, 1)), 3), (1, H mod 3)), 3)", R,
    "right: ceil_mode's extra window (clipped at H + P, count) exists only when (H - 1) mod 3 = 2; the high width works out to H mod 3.")
add(ap, 1, pb(2, 2, 0) + [("--ceil-mode", None), ("--no-count-include-pad", None)],
    "sum_windows(pad(dilate(divide(g, 2), 2), (1, 1 - (H mod 2))), 2)", W,
    "wrong: ceil_mode's clipped last window (1 real entry at odd H) divided by the full kernel 2.")
add(ap, 1, pb(2, 2, 0) + [("--ceil-mode", None), ("--no-count-include-pad", None)],
    "sum_windows(pad(dilate(divide(g, count(2, 2, 0)), 2), (1, 1 - (H mod 2))), 2)", R,
    "right, unusual: with P = 0, count (clipped at H + P) equals valid_count, so count(...) is right even under --no-count-include-pad.")
add(ap, 2, pb(3, 1, 1) + [("--no-count-include-pad", None), ("--divisor-override", 4)],
    "sum_windows(pad(divide(g, valid_count(3, 1, 1)), 1), 3)", W,
    "wrong: divisor_override=4 ignored (valid_count used).")
add(ap, 2, pb("2,3", 1, 1) + [("--count-include-pad", None), ("--divisor-override", 5)],
    "sum_windows(pad(divide(g, 5), ((0, 0), (1, 1))), (2, 3))", R,
    "right: the override 5 everywhere; per axis widths (K-1-P, K-1-P) = (0, 0) and (1, 1) at stride 1.")
add(ap, 2, pb(3, 2, 1) + [("--ceil-mode", None), ("--no-count-include-pad", None)],
    "sum_windows(pad(dilate(divide(g, valid_count(3, 2, 1)), 2), ((1, H_1 mod 2), (1, H_2 mod 2))), 3)", R,
    "right: ceil_mode at K=3, S=2, P=1 adds a window at even H (clipped at H + P; its real entries counted by valid_count); the high width is H mod 2 per axis (no dropped window since S <= K - P). Reading: valid_count(3, 2, 1) with scalars applies per axis and multiplies.")
add(ap, 2, pb(2, 2, 0) + [("--count-include-pad", None)],
    "sum_windows(pad(dilate(divide(g, 4), 2), ((1 + (H_1 mod 2), 1), (1 + (H_2 mod 2), 1))), 2)", W,
    "wrong: the remainder padding put at the front instead of the end.")

rows = []
for i, c in enumerate(C, 1):
    c = dict(id=f"c{i:02d}", **c)
    rows.append(c)
Path(__file__).with_name("claims_draft.json").write_text(json.dumps(rows, indent=1))
print(len(rows))
