"""Every sentence a report shows, once per language (``en``, ``zh``).

The Chinese wording uses the homework's own terms: 模板运算 (the template operation), 卷积核 / 模板 (kernel),
损失函数 (loss), 填充 (padding), 步长 (stride).

>>> w("step", "zh", n=3, rule="x")
'第 3 步：x。'
"""

from __future__ import annotations

LANGS = ("en", "zh")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        # the command line's own faults: an unsafe cache folder, output that cannot be written
        "cache.off": "symconv: warning: the cache {folder} is not used in this run ({reason}); results are "
                     "computed again. It must be a folder of yours that nobody else can write to",
        "cache.link": "it is a symbolic link",
        "cache.not_folder": "it is not a folder",
        "cache.owner": "it belongs to another user",
        "cache.writable": "group or others can write to it",
        "out.closed": "symconv: error: standard output is closed, so nothing could be shown; send it to a "
                      "file or to /dev/null instead",
        "out.stdout": "cannot write to standard output ({reason})",
        "out.encoding": "standard output's encoding ({encoding}) cannot show the character {char}; set "
                        "PYTHONIOENCODING=utf-8 or use a UTF-8 locale",
        # derivation steps (the engine's rules)
        "rule.definition_y": "definition of the template operation (cross-correlation, no kernel flip); "
                             "x is zero outside its range",
        "rule.definition_y_transposed": "definition of the transposed convolution (PyTorch's ConvTransposeNd): "
                                        "each input entry is scattered by the kernel to the outputs "
                                        "S i + D a - P; y is zero where nothing lands",
        "rule.definition_y_slice": r"definition of strided slicing $x[\dots, P : P + S H^{o} : S]$ on every spatial "
                                   "axis",
        "rule.definition_y_pad": "definition of constant padding: P zeros before each axis and the rest after it; "
                                 "x is zero outside its range",
        "rule.offset_to_padding": "the index's offset and range become a padding (negative widths crop)",
        "rule.definition_y_unfold": r"definition of unfold (PyTorch's F.unfold, im2col), its columns indexed "
                                    r"$(n, c, a, i)$ (kernel tap, block) instead of PyTorch's flat "
                                    r"$(c K + a, i)$, a reshape; $x$ is zero outside its range",
        "rule.definition_y_fold": r"definition of fold (PyTorch's F.fold, col2im): each column entry $(n, c, a, i)$ "
                                  r"is added at $S i + D a - P$; overlapping windows add up",
        "rule.windows_to_fold": r"the windows that cover $u$ are summed: "
                                r"$\sum_{a, i} T_{a, i}\, \delta_{u,\, S i + D a - P} = \operatorname{fold}(T)_u$",
        "rule.window_to_unfold": r"a block's window is read: $T_{S i + D a - P} = \operatorname{unfold}(T)_{a, i}$",
        "legend.fold": r"Operators: $\operatorname{unfold}_{K, s, d, p}$ lists every sliding block of its argument "
                       r"(kernel size $K$, stride $s$, dilation $d$, zero padding $p$ on both sides) as the "
                       r"columns $(n, c, a, i)$, kernel tap $a$ and block $i$, $H^{o}$ blocks per axis (PyTorch's "
                       r"$L$; F.unfold is the same numbers reshaped to $(N, C \prod K, \prod L)$); "
                       r"$\operatorname{fold}_{H, K, s, d, p}$ "
                       r"adds such columns back into an image of size $H$, overlapping windows summed (F.fold). "
                       r"$g = \partial L / \partial y$.",
        "f.window_padding": "padding $P$ (both sides)", "f.output_size": "output size $H$",
        "f.blocks": "sliding blocks $H^{o}$ (PyTorch's $L$) per axis",
        "rule.definition_y_avg_pool": r"definition of average pooling (PyTorch's AvgPoolNd): each window of $K$ "
                                      r"entries from $S i - P$ summed, $x$ zero outside its range, times the "
                                      r"position's weight $1/d_i$ (the divisor $d_i$: the window's number of "
                                      r"entries, that number with the window cut off at the padded input's end, "
                                      r"its real entries, or divisor\_override; the closed forms above say which)",
        "rule.absorb_weight": r"the position's weight $1/d_i$ is taken into $g$",
        "rule.reverse_window_index": r"change of summation variable ${arg}$ (the window is constant: read "
                                     r"backwards, it needs no rotation)",
        "rule.window_to_padding": "the windows' offset and reach become a padding (negative widths crop)",
        "rule.definition_L": "the loss, with g the given upstream gradient",
        "rule.differentiate": r"differentiate: $\partial x_{t} / \partial x_{u} = \delta_{t,u}$ "
                              r"(product rule; checked against $L(x + e_u) - L(x)$)",
        "rule.eliminate_deltas": r"Kronecker-delta elimination: $\sum_j f(j)\,\delta_{j,k} = f(k)$ for $k$ in "
                                 r"the range of $j$",
        "rule.shift_index": r"stride 1: $\sum_i T_i\,\delta_{{t,\,i + r}} = T_{{t - r}}$ ($T$ is zero outside its "
                            r"range), the sum over ${arg}$",
        "rule.absorb_stride": r"stride: $\sum_i T_i\,\delta_{t,\,S i} = \hat T_t$, where $\hat T$ is $T$ dilated "
                              r"by $S$ (zero unless $S$ divides $t$)",
        "rule.swap_channels": "channel swap: the kernel's input and output channel axes exchanged "
                              "(within each group)",
        "rule.reverse_kernel_index": "change of summation variable ${arg}$",
        "rule.rotate_kernel": r"rotation by $180^\circ$: a kernel read backwards on every spatial axis",
        "rule.bounds_to_padding": "bounds to padding: the range conditions become zero padding (or cropping) "
                                  "of the data",
        "rule.recognise": "recognise the closed form (checked against the last sum at random sizes)",
        "rule.definition_L2": r"the double backward's loss: each first-order gradient above contracted with its "
                              r"direction "
                              r"($\mathit{ggI}$ with $\partial L/\partial x$, $\mathit{ggW}$ with "
                              r"$\partial L/\partial h$, $\mathit{ggb}$ with $\partial L/\partial b$); the "
                              r"gradient's own index, barred, is summed over",
        "note.directions": r"$\mathit{{ggI}}$, $\mathit{{ggW}}$ and $\mathit{{ggb}}$ have the shapes of $x$, $h$ and "
                           r"$b$ (PyTorch's names)",
        "rule.differentiate_L2": r"differentiate $L_2$ (SymPy; checked against $L_2(v + e_u) - L_2(v)$, $L_2$ "
                                 r"being linear in each of $x$, $h$ and $g$)",
        "rule.part": "part {arg} of that sum, rewritten on its own",
        "rule.first_order": r"the first-order derivative with respect to {arg}, as SymPy gives it from the "
                            r"definition, at a barred index",
        "rule.shift_delta": r"a sum read off a delta: $\sum_j T_j\,\delta_{{j,\,t + r}} = T_{{t + r}}$ ($T$ is zero "
                            r"outside its range; the scattered output is read where the delta puts it, at any "
                            r"stride), the sum over ${arg}$",
        "rule.read_off_delta": r"a sum read off a delta: $\sum_j T_j\,\delta_{{j,\,t}} = T_{{t}}$ ($T$ is zero "
                               r"outside its range), the sum over ${arg}$",
        "rule.recognise_bias": r"recognise $\mathit{ggb}$ at the output channel, the same at every batch entry "
                               r"and position (checked at random sizes)",
        "note.output_size": r"output size: ${arg}$, where $P^{{\mathrm{{high}}}}$ is the padding after each axis",
        "note.output_range": r"the output positions run over ${arg}$, where $P^{{\mathrm{{high}}}}$ is the padding "
                             "after each axis",
        "note.output_range_even": r"the output positions run over ${arg}$ (padding $P$ on both sides of each axis)",
        "note.output_size_transposed": r"output size: ${arg}$, where $R$ is the output padding after each axis",
        "step": "Step {n}: {rule}.",
        "where": "where {note}.",
        # derivation report
        "h.configuration": "Configuration", "h.closed_forms": "Closed forms", "h.definition": "Definition",
        "h.grad_input": r"Gradient with respect to the input $x$",
        "h.grad_weight": r"Gradient with respect to the kernel $h$",
        "h.grad_bias": r"Gradient with respect to the bias $b$",
        "h.appendix": "Appendix: the derivation at every stride and dilation",
        "steps.unit": "The derivation below is made at this configuration's stride 1 and dilation 1 (the "
                      "numbers, not symbols); the appendix derives the forms for every stride and dilation.",
        "appendix.intro": "The same derivation with the stride $S$ and the dilation $D$ as symbols: the forms "
                          "for every size above.",
        "h.proof": "Proof for every size", "h.seed": "The homework's own formulas (3) and (6)",
        "field": "field", "value": "value", "yes": "yes", "no": "no",
        "f.ndim": "spatial axes", "f.channels": "channels in / out", "f.kernel": "kernel size $K$",
        "f.stride": "stride $S$", "f.padding": "padding $P$ (low, high)", "f.dilation": "dilation $D$",
        "f.groups": "groups $G$", "f.bias": "bias",
        "f.op": "operator", "f.output_padding": "output padding $R$", "f.slice": "(start, stop, step) per axis",
        "f.pool_kernel": "window $K$", "f.pool_padding": "padding $P$ (each side)", "f.ceil_mode": r"ceil\_mode",
        "f.count_include_pad": r"count\_include\_pad", "f.divisor_override": r"divisor\_override", "none": "none",
        "legend": r"Operators: $a \otimes k$ is the template operation (cross-correlation, no flip) summed over "
                  r"the input channels of each group, $a \otimes_{\Sigma n} k$ the same correlation summed over "
                  r"the batch with both channel axes kept; $\operatorname{rot180}$ reverses every spatial axis, "
                  r"$\operatorname{swap}_{io}$ exchanges a kernel's input and output channel axes (per group), "
                  r"$\operatorname{dilate}_S$ puts $S-1$ zeros between neighbours, $\operatorname{pad}_{(l, r)}$ "
                  r"adds zeros (a negative width crops), $[S \mid t]$ is 1 when $S$ divides $t$ and 0 otherwise; "
                  r"$s$ and $d$ under $\otimes$ are its stride and dilation. $g = \partial L / \partial y$.",
        "legend.unit": r"Operators: $a \otimes k$ is the template operation (cross-correlation, no flip) summed "
                       r"over the input channels of each group, $a \otimes_{\Sigma n} k$ the same correlation "
                       r"summed over the batch with both channel axes kept; $\operatorname{rot180}$ reverses every "
                       r"spatial axis, $\operatorname{swap}_{io}$ exchanges a kernel's input and output channel "
                       r"axes (per group), $\operatorname{pad}_{(l, r)}$ adds zeros (a negative width crops). "
                       r"$g = \partial L / \partial y$.",
        "appendix.stride_legend": r"There $\operatorname{dilate}_S$ puts $S-1$ zeros between neighbours, "
                                  r"$[S \mid t]$ is 1 when $S$ divides $t$ and 0 otherwise, and $s$ and $d$ under "
                                  r"$\otimes$ are its stride and dilation.",
        "gradient": "gradient", "closed_form": "closed form",
        "summed_positions": "summed over the batch and the positions",
        "every_size": "For every size (every size a symbol; the configuration above substitutes its values):",
        "every_size.unit": "For every size at stride 1 and dilation 1 (every size a symbol; the configuration "
                           "above substitutes its values):",
        "appendix.forms": "The same derivation with the stride $S$ and the dilation $D$ as symbols. For every "
                          "size, stride and dilation:",
        "fig.caption.unit": r"One input entry $u$, the entries of $g = \partial L/\partial y$ it meets (each "
                            "labelled with the entry of the rotated, channel-swapped kernel that collects it), and "
                            "the kernel entries used.",
        "proof.intro": "Decided by Presburger arithmetic (isl), not by sampling. $L = \\sum g\\,y$ is trilinear, so "
                       "each gradient entry is a sum of monomials; write $\\mathcal{M}(\\cdot)$ for the set of "
                       "(entry, monomial) pairs of a tensor. For each gradient, the set read from the derivative of "
                       "the definition (its index expression) must equal the set the closed form produces (each "
                       "operator read as an affine relation on indices), and the closed form must produce every "
                       "monomial once:",
        "proof.statement": "Proved {statement}.",
        "general.proved": "Proved (isl) {statement}, with the stride and dilation put in; the forms of the "
                          "configuration above are these with its sizes substituted. symconv's all-sizes "
                          "sweep proves them at every stride and dilation from 1 to 3 per axis.",
        "general.proved.windows3d": "Proved (isl) {statement}, with the stride and dilation put in; the form of "
                                    "the configuration above is this one with its sizes substituted. symconv's "
                                    "all-sizes sweep proves it in 3-D at the strides and dilations (1, 1, 1), "
                                    "(2, 2, 2), (3, 3, 3), (1, 2, 3) and (3, 2, 1), each with each.",
        "general.proved_pool": "Proved (isl) {statement}, with the kernel, stride and divisor put in; the form of "
                               "the configuration above is this one with its sizes substituted. symconv's all-sizes "
                               "sweep proves it for a representative set of kernels, strides and flags.",
        "proof.divisor": "Average pooling's terms carry a weight, one over the divisor of their output position: "
                         "the (entry, entry of g) pairs are compared with the weight taken out, and the formula's divisor must "
                         "divide g itself and equal PyTorch's at every output position, axis by axis (each a "
                         "piecewise-affine function of the position and the sizes, compared by isl).",
        "general.proved.slice": "Proved (isl) {statement}; the form of the configuration above is this one with "
                                "its sizes substituted. symconv's all-sizes sweep proves it at every step from 1 "
                                "to 3 per axis.",
        "general.proved.pad": "Proved (isl) {statement}; the form of the configuration above is this one with its "
                              "paddings substituted.",
        "legend.pad": r"Operators: $\operatorname{pad}_{(l, r)}$ adds zeros (a negative width crops). "
                      r"$g = \partial L / \partial y$.",
        "proof.once": "each monomial once", "proof.once.unary": "each pair once",
        "proof.second": "A second opinion at one concrete size (input {size}), from the evaluator's reading "
                        "of the same operators, compared exactly: {verdict}.",
        "result": "result", "detail": "detail", "proved": "proved", "failed": "FAILED",
        "proof.detail": "{checked} monomials equal to those of the derivative of the definition",
        "seed.notation": "The result in the homework's notation, with the channel swap and the padding made "
                         "explicit:",
        "seed.intro": r"Each reading, with $\partial L/\partial y$ padded by $K-1-P$, is compared with the closed "
                      r"form above on random integers in $[-3, 3]$ (seed 11), input "
                      r"$1 \times C_{in} \times 4 \times 4$.",
        "seed.every_size": "The same readings judged for every size (isl), as the proof above: proved, or "
                           "refuted with the smallest sizes at which they fail, the entry and the monomial:",
        "reading": "reading", "every_size_verdict": "for every size",
        "seed.(3) as written": "(3) as written",
        "seed.(3) with the channel swap of its formula (2)": "(3) with the channel swap of its formula (2)",
        "seed.(6) as written": "(6) as written",
        "holds": "holds", "does_not_hold": "does not hold",
        "seed.equal": "equal to the engine's closed form on all {total} entries",
        "seed.shape": "gives shape {got}, the gradient has shape {want}",
        "seed.differ": "{differ} of {total} entries differ; e.g. at {at} it gives {got} where the gradient is {want}",
        "seed.differ1": "1 of {total} entries differs: at {at} it gives {got} where the gradient is {want}",
        "seed.error": "cannot even be evaluated: {error}",
        # homework report
        "hw.problem1": "Problem 1", "hw.problem2": "Problem 2",
        "hw.p1.intro": r"Derivatives of $L$ for $y = x \otimes h$ ($\otimes$: the template operation, "
                       r"cross-correlation without flipping the kernel), ${k}$ kernel, padding {p}, stride {s}{d}, "
                       r"derived by symconv's engine from the definition; $g = \partial L/\partial y$.",
        "hw.data": "The data (input $F$ with its channels, kernels $h$):",
        "hw.setting": r"Template operation with stride {stride}, padding {pads}, dilation {dilation}; fully "
                      r"connected layer with {m} outputs over the {n} entries of $\mathrm{{relu}}_1$ taken in "
                      r"(channel, row, column) order; target class $y_{{{t}}} = 1$.",
        "hw.1": "(1) The template operation", "hw.2": "(2) ReLU", "hw.3": "(3) Fully connected",
        "hw.4": "(4) Softmax", "hw.5": "(5) Cross-entropy", "hw.6": "(6) Gradients back to the template operation",
        "hw.7": "(7) Gradient of the fully connected weights", "hw.8": "(8) Gradient of the kernels",
        "hw.beyond": "Beyond the homework", "hw.checks": "Checks",
        "hw.natural_log": "The logarithm is natural.",
        "hw.closed_form": "From the closed form that the engine derived for this convolution (problem 1's method):",
        "check": "Check: {items}.",
        "check.float": "float64 recomputation from the same expressions: {err}",
        "check.fd": "central finite differences of $L$: {err}",
        "check.sep": "; ",
        "bound.within": r"max $|\Delta| \le {tol} \cdot M = {bound}$",
        "bound.exceeds": r"max $|\Delta| = {value}$, above the bound ${tol} \cdot M = {bound}$ (FAILED)",
        "bound.beyond": "the exact values exceed float64's range, and the recomputation gives the same infinities",
        "bound.cell_beyond": "beyond float64",
        "hw.checks.about": r"Each check is relative: a part passes when the largest difference from its exact "
                           r"values is at most $10^{-12} \cdot M$ (float64 recomputation) or $10^{-6} \cdot M$ "
                           r"(central finite differences, each step moving $\mathrm{fc}_1$ by about $10^{-6}$), "
                           r"$M \ge \max(1, \max |\text{value}|)$ the part's magnitude rounded up to a power of "
                           r"ten: the part recomputed with every input, weight and bias in absolute value and "
                           r"$|\partial L/\partial \mathrm{fc}_1|$ taken as 1 (so that terms that cancel "
                           r"cannot make a correct value fail), times that magnitude of $\mathrm{fc}_1$ after the "
                           r"softmax (an error $\delta$ in $\mathrm{fc}_1$ is a relative error $\delta$ after "
                           r"it). The softmax and cross-entropy are recomputed at float64's precision without its "
                           r"overflow (a log-sum-exp at $\mathrm{fc}_1 - \max \mathrm{fc}_1$).",
        "hw.checks.failed": r"{n} check(s) FAILED: the exact values and their float64 recomputation disagree.",
        "magnitude": "$M$",
        "digits": "{n} digits",
        "hw.terminal.passed": "checks: all passed (float64 max |d| <= 1e-12 * M, finite differences "
                              "<= 1e-6 * M; M: magnitude)",
        "hw.terminal.failed": "checks: {n} FAILED ({which})",
        "hw.terminal.cell_failed": "{error} FAILED (bound {bound})",
        "hw.E": r"The inputs of softmax differ, so its exact values hold exponentials. They are written once, "
                r"as $E_j$ (the largest input gives $E_j = 1$), with $Z$ their sum; every value below is "
                r"exact in terms of them, with decimals beside:",
        "hw.same_rows": r"Every row of $W$ is the same row $w$, so $W^{T}(p - y) = w^{T} \sum_i (p_i - y_i)$, "
                        r"and $\sum_i p_i = 1 = \sum_i y_i$: the gradient vanishes. ",
        "hw.vanishes": r"$W^{T}(p - y)$ happens to vanish for these numbers. ",
        "hw.zero_after": r"Every gradient before this one in the network ($\partial L/\partial \mathrm{conv}_1$, "
                         r"$\partial L/\partial h$, $\partial L/\partial x$) is therefore zero.",
        "hw.no_ties": r"No entry of $\mathrm{conv}_1$ is exactly 0, so ReLU's derivative is 0 or 1 everywhere.",
        "hw.ties": r"At {where} $\mathrm{{conv}}_1$ is exactly 0: ReLU's derivative there is taken as 0 "
                   r"(PyTorch's convention); finite differences are one-sided there and are not compared.",
        "hw.near_ties": r" At {where} $\mathrm{{conv}}_1$ is within one finite-difference step of 0: the "
                        r"difference quotients through it would be one-sided and are not compared.",
        "hw.float_undecided": r" At {where} $\mathrm{{conv}}_1$ is not 0 but its float64 value is within "
                              r"$\mathrm{{conv}}_1$'s own error bound of 0 (its terms cancel): float64 cannot "
                              r"tell ReLU's side there, so the float64 recomputation of the parts after ReLU "
                              r"takes ReLU's exact mask there.",
        # a homework network of layers (issue 21)
        "net.layers": "The network, layer by layer (each output is a part; flatten lists its input's entries in "
                      "(channel, row, column) order):",
        "net.col.layer": "layer", "net.col.type": "type", "net.col.output": "output", "net.col.params": "parameters",
        "net.data": "The data:", "net.forward": "Forward pass", "net.loss": "Loss", "net.backward": "Backward pass",
        "net.backward.about": "Each gradient is the layer's rule (SymPy's derivative of its entry) applied to the "
                              "gradient after it; a convolution's is the closed form the engine derived for its "
                              "configuration.",
        "net.conv": "Stride {stride}, padding {pads}, dilation {dilation}, {groups} group(s).",
        "net.pool": "Window {k}, stride {stride}, padding {pads}.",
        "net.avg_pad": "The padding counts in the window's size K (PyTorch's default).",
        "net.max_rule": "The gradient goes to the maximum of each window; where a window holds its maximum more "
                        "than once, to the first in scan order (PyTorch's convention).",
        "net.relu_ties": r"At {where} the input of {layer} is exactly 0: the derivative there is taken as "
                         r"{value} (PyTorch's convention).",
        "net.no_ties": "No input of a ReLU is exactly 0 and no pooling window holds its maximum twice.",
        "net.pool_ties": "At {where} a window of {layer} holds its maximum more than once: the gradient goes to the "
                         "first maximum in scan order (PyTorch's convention).",
        "net.float_undecided": " At {where} float64 cannot tell which side of a kink a value is on (it is within its "
                               "own error bound of it): the float64 recomputation takes the exact side there.",
        "net.exp": "The exponentials are exact: $e^{{r}}$ for rational $r$, nothing rounded.",
        "net.degenerate": "Degenerate parts",
        "net.deg.same_rows.zero_always": r"${part}$ is 0 for every input: every row of ${W}$ is the same row $w$, "
                                         r"so ${W}^{{T}}(p - y) = w \sum_i (p_i - y_i) = 0$, and every gradient "
                                         r"before it is 0.",
        "net.deg.same_rows.constant_always": r"${part}$ is the same for every input: the rows of ${W}$ (and its "
                                             r"bias entries) are equal, so every score is equal and $p_i = 1/m$.",
        "net.deg.dead_relu.zero_always": r"${part}$ is 0 for every input: the input of ${layer}$ cannot be "
                                         r"positive for any input (the signs of the weights and biases before it), "
                                         r"so every ReLU there is dead.",
        "net.deg.uncovered.zero_some_always": r"Some entries of ${part}$ are 0 for every input: no window of "
                                              r"${layer}$ reaches them.",
        "net.deg.data.zero_here": r"${part}$ is 0 for these numbers only (not for every input).",
        "net.no_degenerate": "No part is zero or constant for every input.",
        "net.t.line": "degenerate: {part} {what} ({why})",
        "net.t.zero_always": "is 0 for every input", "net.t.constant_always": "is the same for every input",
        "net.t.zero_some_always": "has entries 0 for every input", "net.t.zero_here": "is 0 for these numbers only",
        "net.t.same_rows": "every row of {W} is the same", "net.t.dead_relu": "every ReLU of {layer} is dead",
        "net.t.uncovered": "no window of {layer} reaches them", "net.t.data": "not for every input",
        "seed.verdict": "{reading}: {verdict}.", "n/a": "n/a",
        "seed.graded": "Graded as symconv check grades an answer (the same reader, and the same proof for "
                       "every size):",
        "seed.graded.verdict": "{reading}: {verdict}",
        "seed.graded.convention": r"{reading}: {verdict} under the course's $\otimes$ convention (a bare "
                                  r"$\otimes$ between $\partial L/\partial y$ and the kernel implies the channel "
                                  "swap, as in the homework's (2))",
        "seed.graded.mistake": "; likely mistake: {mistake}",
        "seed.graded.strict": "Strictly read, with the kernel's channels not exchanged (as symconv check grades "
                              "it with its strict-channels option): {verdict}; likely mistake: {mistake}.",
        "seed.graded.detail": "The grader's detail: {detail}.",
        "seed.intro.channels": r"Each reading, with $\partial L/\partial y$ padded by $K-1-P$, is compared entry "
                               r"by entry with the closed form above on random integers in $[-3, 3]$ (seed 11), "
                               r"input ${shape}$ ({c_in} input and {c_out} output channels, as in the file).",
        "seed.channels_cut": " The file has {c_in} input and {c_out} output channels; the test uses at most two "
                             "each way (the index maps are the same for every count).",
        "seed.show.(3) as written": "(3) read strictly (the kernel's channels not exchanged)",
        "seed.show.(3) with the channel swap of its formula (2)": r"(3) by the course's $\otimes$ convention "
                                                                  "(the channel swap of its formula (2))",
        "seed.show.(6) as written": "(6) as written",
        "t.exact": "exact (first entries)", "t.fd": "fin. diff.", "t.wrote": "wrote {path}",
        # variants: why a draw is not kept (symconv.homework.variants)
        "var.zero": "{part} is zero in every entry",
        "var.tiny": "{part} is near zero (its largest entry is {v}, below {tiny}: allow_tiny = true keeps it)",
        "var.relu_zero": "a ReLU input is exactly 0 at {where}",
        "var.pool_tie": "a max-pool window ties at {where}",
        "var.uniform": "softmax's output p is uniform (1/{n} for every class)",
        "var.digits": "{part} has a number of {n} digits in its exact value (the limit is {max}: max_digits)",
        "var.check": "{part} failed its {check} check",
        "var.shared": "{part} is the same as student {other}'s",
        "var.done": "{n} variants written to {out} (sheets/, keys/, variants.json); {rejected} draws rejected, "
                    "each with its reasons in variants.json",
        # a student's problem sheet (symconv.report.problems)
        "ps.title": "{title}: your problem sheet",
        "ps.student": "Student: {name} (id {id})",
        "ps.data": "Your numbers",
        "ps.setting": "setting", "ps.value": "value",
        "ps.questions": "Questions", "ps.points": "points",
        "ps.total": "Total: {n} points.",
        "ps.hand_in": "Handing in",
        "ps.how": "Write each answer in a LaTeX equation labelled ans:PART, PART being the part's name in the "
                  "table above (the template below), or in a .toml file of PART = LaTeX lines. Keep the template's "
                  "first line (your id) at the top of the file, or put your id in the file's name. Your answers "
                  "are checked against your own numbers.",
        "part": "part", "shape": "shape", "scalar": "scalar", "float_diff": "float64 max diff",
        "fd_diff": "finite-difference max diff",
        # grading sheet
        "g.title": "Grading of {name}", "g.grades": "Grades", "verdict": "verdict",
        "g.given": "Given:", "g.expected": "Expected:",
        "v.correct": "correct", "v.wrong": "wrong", "v.unparsed": "unparsed", "v.missing": "missing",
        "derive.title": "Backward pass of a convolution ({name})",
        "title.ndim": "{n}-D", "title.kernel": "{k} kernel", "title.stride": "stride {s}",
        "title.padding": "padding {p}", "title.dilation": "dilation {d}", "title.groups": "{g} groups",
        "title.bias": "bias",
        "derive.title_second": "Double backward of a convolution ({name})",
        "h2.grad_input": r"$\mathit{gI}$: the derivative of $L_2$ with respect to the input $x$",
        "h2.grad_weight": r"$\mathit{gW}$: the derivative of $L_2$ with respect to the kernel $h$",
        "h2.grad_output": r"$\mathit{ggO}$: the derivative of $L_2$ with respect to $g = \partial L/\partial y$",
        "h2.definition": "Definition",
        "h2.steps": "The derivation, step by step",
        "second.intro": r"PyTorch's double backward (its function \_convolution\_double\_backward) differentiates the "
                        r"first-order gradients once more. Given directions $\mathit{ggI}$, $\mathit{ggW}$ and "
                        r"$\mathit{ggb}$ (the shapes of $x$, $h$ and $b$), it returns $\mathit{gI}$, $\mathit{gW}$ "
                        r"and $\mathit{ggO}$, the derivatives of $L_2 = \sum \mathit{ggI}\cdot\partial L/\partial x "
                        r"+ \sum \mathit{ggW}\cdot\partial L/\partial h + \sum \mathit{ggb}\cdot\partial L/\partial b$ "
                        r"with respect to $x$, $h$ and $g$. Below, $L_2$ is built from the index sums of the first-"
                        r"order derivation, differentiated by SymPy and rewritten by the same rules, each step "
                        r"checked when taken.",
        "second.ggb": r"$\mathit{ggO}$ also holds $\mathit{ggb}$, added to every entry of its output channel.",
        "second.result": "result", "second.form": "closed form", "second.term": "term {k}",
        "second.proof": r"Each form is proved (isl) {statement}: $\mathit{{gI}}$ with $\mathit{{ggW}}$ read as $h$ "
                        r"is $\partial L/\partial x$, $\mathit{{gW}}$ with $\mathit{{ggI}}$ read as $x$ is "
                        r"$\partial L/\partial h$, and each term of $\mathit{{ggO}}$ read back is the forward pass "
                        r"$y$ without its bias (the derivative of $L$ with respect to $g$); $L$ is linear in $x$ "
                        r"and in $h$, so these are the derivatives of $L_2$.",
        "second.check": r"A second opinion at input {size}, exact (integers): the forms above equal, on {checked} "
                        r"entries, the first-order closed forms read with $\mathit{{ggW}}$ for $h$ and "
                        r"$\mathit{{ggI}}$ for $x$, and $\mathit{{ggO}}$ the forward passes of "
                        r"$(\mathit{{ggI}}, h)$ and $(x, \mathit{{ggW}})$ ($L$'s linearity, which the derivation "
                        r"never used){verdict}.",
        "second.check.failed": "; they differ: {detail}",
        "legend.unary": r"Operators: $\operatorname{dilate}_S$ puts $S-1$ zeros between neighbours, "
                        r"$\operatorname{pad}_{(l, r)}$ adds zeros (a negative width crops), $[S \mid t]$ is 1 when "
                        r"$S$ divides $t$ and 0 otherwise. $g = \partial L / \partial y$.",
        "proof.intro.unary": "Decided by Presburger arithmetic (isl), not by sampling. $L = \\sum g\\,y$ is linear "
                             "in $x$ and in $g$, so each entry of $\\partial L/\\partial x$ is a sum of entries of "
                             "$g$; write $\\mathcal{M}(\\cdot)$ for the set of (entry, entry of $g$) pairs. The set "
                             "read from the derivative of the definition (its index expression) must equal the set "
                             "the closed form produces (each operator read as an affine relation on indices), each "
                             "pair once:",
        "proof.detail.unary": "{checked} entries equal to those of the derivative of the definition (NumPy's own "
                              "slicing or padding of each unit input)",
        "proof.detail.windows": "{checked} entries equal to those of the derivative of the definition (a plain "
                                "loop over the windows of each unit input, written apart from the engine)",
        "general.proved.windows": "Proved (isl) {statement}, with the stride and dilation put in; the form of the "
                                  "configuration above is this one with its sizes substituted. symconv's "
                                  "all-sizes sweep proves it at every stride and dilation from 1 to 3 per axis.",
        "legend.pool": r"Operators: $\operatorname{divide}(g,\ d)$ divides each entry of $g$ by the divisor $d$ "
                       r"of its output position (see below); $\operatorname{dilate}_S$ puts $S-1$ zeros between "
                       r"neighbours, $\operatorname{pad}_{(l, r)}$ adds zeros (a negative width crops), "
                       r"$\operatorname{sum\_windows}_K$ replaces each position by the sum of the $K$ entries "
                       r"from it on (every window of $K$ consecutive entries, on each axis), $[S \mid t]$ is 1 "
                       r"when $S$ divides $t$ and 0 otherwise; $H^{o}$ is the output's length. "
                       r"$g = \partial L / \partial y$.",
        "pool.divisor.count": r"The divisor $\operatorname{count}_{K;S;P}$: how many entries the window of "
                              r"output position $i$ covers, padding included but cut off at the end of the padded "
                              r"input (PyTorch's count\_include\_pad); it is $K$ except for a last window that "
                              r"ceil\_mode lets run past the end.",
        "pool.divisor.valid_count": r"The divisor $\operatorname{count}^{\mathrm{valid}}_{K;S;P}$: how many "
                                    r"real entries of $x$ (not padding) the window of output position $i$ covers "
                                    r"(PyTorch's count\_include\_pad=False), so that each output is the mean of "
                                    r"the entries it really averages.",
        "pool.divisor.kernel": r"The divisor is the number of entries in a window, {value}, at every output "
                               r"position: each output is the mean of its window, padding counted.",
        "pool.divisor.override": r"The divisor is divisor\_override = {value} at every output position, whatever "
                                 r"the window covers.",
        "pool.divisor.values": r"At an input of {size} it is {values}.",
        "pool.divisor.axis": "on axis {k}: {values}",
        "pool.divisor.values.axes": r"At an input of {size} it is the product of its factor on each axis, {values}.",
        "derive.title_slice": "Backward pass of strided slicing {name}",
        "derive.title_pad": "Backward pass of constant padding {name}",
        "derive.title_transposed": "Backward pass of a transposed convolution ({name})",
        "derive.title_avg_pool": "Backward pass of average pooling ({name})",
        "derive.title_unfold": "Backward pass of unfold, im2col ({name})",
        "derive.title_fold": "Backward pass of fold, col2im, to {size} ({name})",
        "title.window": "{k} window", "title.ceil_mode": "ceil mode", "title.count_include_pad": "padding counted",
        "title.count_real": "real entries counted", "title.divisor_override": "divisor {d}",
        "title.output_padding": "output padding {r}",
        "g.missing": "no answer given",
        "g.exact": "exactly equal{how}",
        "g.rounded": "equal within rounding to {places} decimal places{how}",
        "g.coarse": "{given} is within rounding to {places} decimal places but carries fewer than {digits} "
                    "significant digits: a value written approximately is accepted only with {digits} at least",
        "g.shape": "shape {got}, expected {want}",
        "g.differ": "{n} entries differ{how}: {shown}{more}",
        "g.differ1": "1 entry differs{how}: {shown}{more}",
        "g.entry": "{at}: given {given}, expected {want}",
        "g.more": " (and {n} more)",
        "g.flat": " (read in (channel, row, column) order)",
        "g.broadcast": " (one matrix for every channel)",
        "g.broadcast_value": " (one value for every entry)",
        "g.broadcast_row": " (one row for every row)",
        "g.unknown": "unknown part {label}; known: {known}",
        "g.chain": "the chain is false: {a} is not {b}",
        "g.entry_hedge": "the answer states {name} = {a}, which its value {b} contradicts (a hedge is wrong, even "
                         "if one of them is right)",
        "g.one_channel": "only channel {given} is given; {n} missing: {missing}",
        "g.unread_step": "{detail} (a step of the chain was not read, {step}: its final value was graded)",
        "g.two_values": "the answer states two different values: {a} and {b} (a hedge is wrong, even if one "
                        "of them is right)",
        # the reader of answers (symconv/grading/source.py, entries.py, answers.py): why an answer is unparsed
        "p.at": "column {col} ('{rest}')", "p.at_end": "column {col} (the end)",
        "p.unread": "latex2sympy2 could not read it at {where} of {text}",
        "p.unread_past": "latex2sympy2 could not read it past {where} of {text}",
        "p.juxtaposed": "two numbers with only a space between them at {where}: '{shown}' is not read as a "
                        "product; separate entries with & or a comma, or write \\cdot",
        "p.empty_entry": "an empty entry in the list at {where}",
        "p.empty_value": "an empty value at {where}",
        "p.shapes_entries": "entries separated by commas of different shapes {shapes}",
        "p.shapes_channels": "channels of different shapes {shapes}",
        "p.channel_twice": "channel {channel} is given twice ({names})",
        "p.no_maths": "no mathematics in the answer (only text)",
        "p.no_answer": "no answer written (empty, or only '?')",
        "p.reference": "refers to another answer (same as above) without writing its value",
        "p.no_value": "no side of the answer states a value ({text})",
        "p.constant_size": "a constant vector of {n} entries inside an expression (the limit is {limit})",
        "p.dots": "dots at {where} stand for entries only when every written entry is the same",
        # the mistake a wrong answer's verdict names (ASCII: the English sheet is built with pdfLaTeX)
        "g.with_mistake": "{detail}; likely mistake: {mistake}",
        "g.likely": "Likely mistake: {mistake}.",
        "g.formula_part": "formula for {grad}",
        "g.cut": "(… {n:,} more characters)",
        "g.more_parts": "({n:,} more parts are in the gradebook, not shown here.)",
        "g.and": "{a} and {b}",
        "g.shape_then": "shape {got}, expected {want}; transposed back, {rest}",
        "m.transposed": "transposed (rows and columns exchanged)",
        "m.missing_channel": "a channel missing (the answer covers only some of the channels)",
        "m.fc_scale": "the fully connected weights' factor {scale} left out (fc1 and every part after it "
                      "computed without it)",
        "m.wrong_target": "the target class taken as {given} instead of {want} (the one-hot y moved, and every "
                          "part after L from it)",
        "m.rounded": "rounded too coarsely (beyond the {places} decimal places written, though within 1%)",
        "m.one_entry": "one entry wrong, {at} (an arithmetic slip?)",
        "m.truncated": "rounded too coarsely: truncated after {places} decimal places, not rounded "
                       "({source}, cut there, is {given}; rounded, it is {right})",
        "m.truncated_below": "the float64 just below {want} ({near})",
        "m.sign_flipped": "the sign flipped (such as y - p for p - y)",
        "m.kernel_flipped": "the kernel flipped (a convolution, where the template operation is a "
                            "cross-correlation)",
        "m.softmax_for_gradient": "softmax instead of its gradient (p where p - y belongs)",
        "m.relu_mask": "ReLU's mask forgotten or taken from the wrong tensor",
        "m.relu_mask_missing": "ReLU's mask forgotten (dL/dconv1 taken as dL/drelu1)",
        "m.relu_mask_early": "ReLU's mask applied to dL/drelu1 (it belongs to dL/dconv1)",
        "m.relu_mask_wrong": "ReLU's mask taken from the wrong tensor (the gradient's sign, or inverted) "
                             "instead of conv1 > 0",
        "m.no_relu": "ReLU left out (conv1 used where relu1 belongs)",
        "m.flatten_order": "relu1 flattened in another order than (channel, row, column)",
        "m.flatten_order_matrix": "dL/dW's entries listed column by column (column-major), where they are "
                                  "read row by row",
        "m.flatten_order_entries": "the entries listed in another order than (channel, row, column)",
        "m.log_base_10": "log base 10 instead of the natural log",
        "m.no_rotation": "no rotation (the kernel must be rotated by 180 degrees)",
        "m.extra_rotation": "a rotation where none belongs",
        "m.no_swap": "no channel swap (the kernel's input and output channels must be exchanged)",
        "m.missing_channel_sum": "the sum over the output channels missing ({var} never summed: read at "
                                 "its first value)",
        "m.missing_batch_sum": "the sum over the images missing ({var} never summed: read at its first "
                               "value)",
        "m.missing_sum": "a sum missing ({var} never summed: read at its first value)",
        "m.bounds_cut": "a bound that cuts a term",
        "m.bounds_cut_high": "a bound that cuts a term (the sum over {var} ends at {bound}: the term "
                             "{var} = {term} is left out)",
        "m.bounds_cut_low": "a bound that cuts a term (the sum over {var} starts at {bound}: the term "
                            "{var} = {term} is left out)",
        "m.shifted_index": "an index shifted by {k} in {var} ({wrote} where {right} belongs)",
        "m.flipped_sign": "an offset's sign flipped in {var} ({wrote} where {right} belongs)",
        "m.extra_swap": "a channel swap where none belongs",
        "m.pad_off_by_one": "padding off by one",
        "m.no_dilation": "the stride's dilation is missing",
        # problem 1's formula answers
        "fa.unknown": "unknown formula part {part}; known: {known}",
        "fa.proved": "read as dL/d{wrt} = {form}: proved {statement}",
        "fa.undecided": "read as dL/d{wrt} = {form}: not decided ({detail})",
        "fa.refuted": "read as dL/d{wrt} = {form}: refuted, {counterexample}",
        "fa.refuted_here": "read as dL/d{wrt} = {form}: refuted, {found} (not expressible for every size: "
                           "{detail})",
        "fa.with_note": "{detail}; note: {note}",
        "fa.swap_implied": "channel swap implied by (x), as in the homework's (2)",
        "fa.index_proved": "read as an index sum for dL/d{wrt} ({reading}; {steps} line(s)): the last line "
                           "is proved {statement}",
        "fa.index_refuted": "read as an index sum for dL/d{wrt} ({reading}): refuted, {counterexample}",
        "fa.index_undecided": "read as an index sum for dL/d{wrt}: not decided ({detail})",
        "fa.reading_assumed": "the formula leaves open how its indices are numbered; read with {reading}",
        "fa.step_wrong": "step {n} does not follow from step {before}: {detail}",
        "fa.step1_wrong": "step 1 does not follow from the definition of y: {detail}",
        "h.figure": "Which entries meet",
        "fig.caption": r"One input entry $u$, the entries of $g = \partial L/\partial y$ it meets (each labelled "
                       "with the entry of the rotated, channel-swapped kernel that collects it), their places in "
                       r"$\operatorname{dilate}_S(g)$ when the stride is above 1, and the kernel entries used.",
    },
    "zh": {
        # the command line's own faults: an unsafe cache folder, output that cannot be written
        "cache.off": "symconv: 警告：本次运行不使用缓存 {folder}（{reason}），结果将重新计算。它必须是你自己的、"
                     "别人不能写入的文件夹",
        "cache.link": "它是符号链接",
        "cache.not_folder": "它不是文件夹",
        "cache.owner": "它属于另一个用户",
        "cache.writable": "同组或其他用户可以写入它",
        "out.closed": "symconv: 错误：标准输出已关闭，无法显示任何内容；请把它重定向到文件或 /dev/null",
        "out.stdout": "无法写入标准输出（{reason}）",
        "out.encoding": "标准输出的编码（{encoding}）无法显示字符 {char}；请设置 PYTHONIOENCODING=utf-8 或使用 UTF-8 区域设置",
        "rule.definition_y": "模板运算的定义（互相关，卷积核不翻转）；x 在其范围之外为 0",
        "rule.definition_y_transposed": "转置卷积的定义（PyTorch 的 ConvTransposeNd）：每个输入元素经卷积核分散到输出"
                                        "位置 S i + D a - P；没有元素落到的位置为 0",
        "rule.definition_y_slice": r"带步长切片 $x[\dots, P : P + S H^{o} : S]$（每个空间轴）的定义",
        "rule.definition_y_pad": "常数填充的定义：每个轴前补 P 个 0，其余补在轴后；x 在其范围之外为 0",
        "rule.offset_to_padding": "下标的偏移与范围化为填充（负宽度表示裁剪）",
        "rule.definition_y_unfold": r"unfold（PyTorch 的 F.unfold，im2col）的定义，其列以 $(n, c, a, i)$（卷积核位置，"
                                    r"滑动块）为下标，而非 PyTorch 的扁平下标 $(c K + a, i)$（二者只差一次重排）；"
                                    r"x 在其范围之外为 0",
        "rule.definition_y_fold": r"fold（PyTorch 的 F.fold，col2im）的定义：每个列元素 $(n, c, a, i)$ 加到位置 "
                                  r"$S i + D a - P$；重叠的窗口相加",
        "rule.windows_to_fold": r"覆盖 $u$ 的窗口求和："
                                r"$\sum_{a, i} T_{a, i}\, \delta_{u,\, S i + D a - P} = \operatorname{fold}(T)_u$",
        "rule.window_to_unfold": r"读取一个滑动块的窗口：$T_{S i + D a - P} = \operatorname{unfold}(T)_{a, i}$",
        "legend.fold": r"算子：$\operatorname{unfold}_{K, s, d, p}$ 把参数的每个滑动块（卷积核尺寸 $K$，步长 $s$，"
                       r"膨胀 $d$，两侧零填充 $p$）列为列 $(n, c, a, i)$，其中 $a$ 为卷积核位置、$i$ 为滑动块"
                       r"，每个轴 $H^{o}$ 个滑动块（即 PyTorch 的 $L$；F.unfold 是同样的数重排为 "
                       r"$(N, C \prod K, \prod L)$）；"
                       r"$\operatorname{fold}_{H, K, s, d, p}$ 把这样的列加回尺寸为 $H$ 的图像，重叠的窗口相加"
                       r"（F.fold）。$g = \partial L / \partial y$。",
        "f.window_padding": "填充 $P$（两侧）", "f.output_size": "输出尺寸 $H$", "f.blocks": "每个轴的滑动块数 $H^{o}$（PyTorch 的 $L$）",
        "rule.definition_y_avg_pool": r"平均池化的定义（PyTorch 的 AvgPoolNd）：从 $S i - P$ 起每个长为 $K$ 的窗口求和，"
                                      r"$x$ 在其范围之外为 0，再乘以该位置的权重 $1/d_i$（除数 $d_i$：窗口的元素个数、"
                                      r"截止于填充后输入末端的窗口长度、窗口内真实元素个数或 divisor\_override；"
                                      r"上面的闭式解说明是哪一种）",
        "rule.absorb_weight": r"把该位置的权重 $1/d_i$ 并入 $g$",
        "rule.reverse_window_index": r"换求和变量 ${arg}$（窗口是常数：反向读取无需旋转）",
        "rule.window_to_padding": "窗口的偏移与跨度化为填充（负宽度表示裁剪）",
        "rule.definition_L": r"损失函数，其中 g 是已知的 $\partial L/\partial y$",
        "rule.differentiate": r"求导：$\partial x_{t} / \partial x_{u} = \delta_{t,u}$"
                              r"（乘积法则；已与 $L(x + e_u) - L(x)$ 核对）",
        "rule.eliminate_deltas": r"消去克罗内克 $\delta$：当 $k$ 在 $j$ 的范围内时 "
                                 r"$\sum_j f(j)\,\delta_{j,k} = f(k)$",
        "rule.shift_index": r"步长为 1：$\sum_i T_i\,\delta_{{t,\,i + r}} = T_{{t - r}}$（$T$ 在其范围外为零），消去对 ${arg}$ 的求和",
        "rule.absorb_stride": r"步长：$\sum_i T_i\,\delta_{t,\,S i} = \hat T_t$，其中 $\hat T$ 是 $T$ 按 $S$ "
                              r"膨胀的结果（$S$ 不整除 $t$ 时为 0）",
        "rule.swap_channels": "通道交换：卷积核的输入通道轴与输出通道轴互换（在每个分组内）",
        "rule.reverse_kernel_index": "求和变量代换 ${arg}$",
        "rule.rotate_kernel": r"旋转 $180^\circ$：在每个空间轴上倒序读取卷积核",
        "rule.bounds_to_padding": "边界变为填充：范围条件变成对数据的零填充（或裁剪）",
        "rule.recognise": "识别闭式解（已在随机尺寸上与最后一个求和式核对）",
        "rule.definition_L2": r"二阶反向传播的损失：上面每个一阶导数与其方向"
                              r"缩并（$\mathit{ggI}$ 与 $\partial L/\partial x$、$\mathit{ggW}$ 与 "
                              r"$\partial L/\partial h$、$\mathit{ggb}$ 与 $\partial L/\partial b$）；一阶导数自身的"
                              r"下标（加横线）被求和",
        "note.directions": r"$\mathit{{ggI}}$、$\mathit{{ggW}}$、$\mathit{{ggb}}$ 的形状分别与 $x$、$h$、$b$ 相同"
                           r"（PyTorch 的命名）",
        "rule.differentiate_L2": r"对 $L_2$ 求导（SymPy；已与 $L_2(v + e_u) - L_2(v)$ 核对，$L_2$ 对 $x$、$h$、"
                                 r"$g$ 各自是线性的）",
        "rule.part": "该和式的第 {arg} 部分，单独改写",
        "rule.first_order": r"相对于 {arg} 的一阶导数（SymPy 由定义求得），下标加横线",
        "rule.shift_delta": r"由 $\delta$ 读出求和：$\sum_j T_j\,\delta_{{j,\,t + r}} = T_{{t + r}}$（$T$ 在其范围外为零；"
                            r"被分散的输出在 $\delta$ 指定处读出，与步长无关），消去对 ${arg}$ 的求和",
        "rule.read_off_delta": r"由 $\delta$ 读出求和：$\sum_j T_j\,\delta_{{j,\,t}} = T_{{t}}$（$T$ 在其范围外为零），"
                               r"消去对 ${arg}$ 的求和",
        "rule.recognise_bias": r"识别出 $\mathit{ggb}$（取输出通道处的值，对每个批次元素与位置相同；已在随机尺寸上核对）",
        "note.output_size": r"输出尺寸：${arg}$，其中 $P^{{\mathrm{{high}}}}$ 是每个轴末端的填充",
        "note.output_range": r"输出位置的范围为 ${arg}$，其中 $P^{{\mathrm{{high}}}}$ 是每个轴末端的填充",
        "note.output_range_even": r"输出位置的范围为 ${arg}$（每个轴两端的填充均为 $P$）",
        "note.output_size_transposed": r"输出尺寸：${arg}$，其中 $R$ 是每个轴末端的输出填充（output padding）",
        "step": "第 {n} 步：{rule}。",
        "where": "其中 {note}。",
        "h.configuration": "配置", "h.closed_forms": "闭式解", "h.definition": "定义",
        "h.grad_input": r"损失函数相对于输入 $x$ 的导数",
        "h.grad_weight": r"损失函数相对于模板（卷积核）$h$ 的导数",
        "h.grad_bias": r"损失函数相对于偏置 $b$ 的导数",
        "h.appendix": "附录：任意步长与膨胀下的推导",
        "steps.unit": "下面的推导取本配置的步长 1 与膨胀 1（为数字而非符号）；附录给出任意步长与膨胀下的推导。",
        "appendix.intro": "同一推导，步长 $S$ 与膨胀 $D$ 为符号：即上面对任意尺寸的形式。",
        "h.proof": "对任意尺寸的证明", "h.seed": "作业自身的公式 (3) 与 (6)",
        "field": "项目", "value": "取值", "yes": "是", "no": "否",
        "f.ndim": "空间维数", "f.channels": "输入 / 输出通道数", "f.kernel": "卷积核尺寸 $K$",
        "f.stride": "步长 $S$", "f.padding": "填充 $P$（前，后）", "f.dilation": "膨胀 $D$",
        "f.groups": "分组数 $G$", "f.bias": "偏置",
        "f.op": "算子", "f.output_padding": "输出填充 $R$", "f.slice": "每个轴的 (start, stop, step)",
        "f.pool_kernel": "窗口 $K$", "f.pool_padding": "填充 $P$（每侧）", "f.ceil_mode": r"ceil\_mode（向上取整）",
        "f.count_include_pad": r"count\_include\_pad（除数计入填充）", "f.divisor_override": r"divisor\_override（指定除数）",
        "none": "无",
        "legend": r"算子：$a \otimes k$ 是模板运算（互相关，不翻转），在每个分组的输入通道上求和；"
                  r"$a \otimes_{\Sigma n} k$ 是同样的互相关，但在批次上求和并保留两个通道轴；"
                  r"$\operatorname{rot180}$ 把每个空间轴倒序，$\operatorname{swap}_{io}$ 交换卷积核的输入与输出通道轴"
                  r"（按分组），$\operatorname{dilate}_S$ 在相邻元素之间插入 $S-1$ 个零，"
                  r"$\operatorname{pad}_{(l, r)}$ 补零（宽度为负表示裁剪），$[S \mid t]$ 在 $S$ 整除 $t$ 时为 1，否则为 0；"
                  r"$\otimes$ 下标中的 $s$ 与 $d$ 是其步长与膨胀。$g = \partial L / \partial y$。",
        "legend.unit": r"算子：$a \otimes k$ 是模板运算（互相关，不翻转），在每个分组的输入通道上求和；"
                       r"$a \otimes_{\Sigma n} k$ 是同样的互相关，但在批次上求和并保留两个通道轴；"
                       r"$\operatorname{rot180}$ 把每个空间轴倒序，$\operatorname{swap}_{io}$ 交换卷积核的输入与输出通道轴"
                       r"（按分组），$\operatorname{pad}_{(l, r)}$ 补零（宽度为负表示裁剪）。$g = \partial L / \partial y$。",
        "appendix.stride_legend": r"其中 $\operatorname{dilate}_S$ 在相邻元素之间插入 $S-1$ 个零，$[S \mid t]$ 在 $S$ 整除 "
                                  r"$t$ 时为 1，否则为 0；$\otimes$ 下标中的 $s$ 与 $d$ 是其步长与膨胀。",
        "gradient": "梯度", "closed_form": "闭式",
        "summed_positions": "对批次与所有位置求和",
        "every_size": "对任意尺寸（所有尺寸都是符号；上面的配置代入其取值）：",
        "every_size.unit": "步长 1、膨胀 1 时对任意尺寸（所有尺寸都是符号；上面的配置代入其取值）：",
        "appendix.forms": "同一推导，步长 $S$ 与膨胀 $D$ 为符号。对任意尺寸、步长与膨胀：",
        "proof.intro": "由 Presburger 算术（isl）判定，而非抽样。$L = \\sum g\\,y$ 是三线性的，梯度的每个元素都是若干单项式之和；"
                       "记 $\\mathcal{M}(\\cdot)$ 为一个张量的（元素，单项式）对的集合。对每个梯度，由定义（其指标表达式）"
                       "求导得到的集合必须等于闭式解（每个算子读作指标上的仿射关系）给出的集合，且闭式解中每个单项式只出现一次：",
        "proof.statement": "已证明：{statement}。",
        "general.proved": "已证明（isl）：{statement}（代入步长与膨胀后）；上面配置的闭式解就是代入其尺寸后的这些式子。"
                          "symconv 的全尺寸扫描对每个轴上 1 到 3 的每种步长与膨胀证明它们。",
        "general.proved.windows3d": "已证明（isl）：{statement}（代入步长与膨胀后）；上面配置的闭式解就是代入其尺寸后的"
                                    "这个式子。symconv 的全尺寸扫描在三维中对步长与膨胀 (1, 1, 1)、(2, 2, 2)、"
                                    "(3, 3, 3)、(1, 2, 3) 与 (3, 2, 1) 的两两组合证明它。",
        "general.proved_pool": "已证明（isl）：{statement}（代入窗口、步长与除数后）；上面配置的闭式解就是代入其尺寸后的这个式子。"
                               "symconv 的全尺寸扫描对一组有代表性的窗口、步长与选项证明它。",
        "proof.divisor": "平均池化的每一项带一个权重，即其输出位置除数的倒数：比较（元素，g 的元素）对时先去掉权重；公式的除数必须直接作用于 g，"
                         "并在每个输出位置上逐轴等于 PyTorch 的除数（每个都是位置与尺寸的分段仿射函数，由 isl 比较）。",
        "general.proved.slice": "已证明（isl）：{statement}；上面配置的闭式解就是代入其尺寸后的这个式子。"
                                "symconv 的全尺寸扫描对每个轴上 1 到 3 的每种步长证明它。",
        "general.proved.pad": "已证明（isl）：{statement}；上面配置的闭式解就是代入其填充后的这个式子。",
        "legend.pad": r"算子：$\operatorname{pad}_{(l, r)}$ 补零（宽度为负表示裁剪）。$g = \partial L / \partial y$。",
        "proof.once": "每个单项式只出现一次", "proof.once.unary": "每对只出现一次",
        "proof.second": "在一个具体尺寸（输入 {size}）上的第二意见（由同一组算子的求值解读给出，精确比较）：{verdict}。",
        "result": "结果", "detail": "说明", "proved": "已证明", "failed": "失败",
        "proof.detail": "{checked} 个单项式与定义的导数的单项式相同",
        "seed.notation": "用作业的记号写出的结果，通道交换与填充均已显式写出：",
        "seed.intro": r"每种读法（$\partial L/\partial y$ 填充 $K-1-P$）都在 $[-3, 3]$ 中的随机整数（种子 11）、"
                      r"输入 $1 \times C_{in} \times 4 \times 4$ 上与上面的闭式解比较。",
        "seed.every_size": "同样的读法对任意尺寸判定（isl，与上面的证明相同）：已证明；或被否定，并给出出错的最小"
                           "尺寸、梯度元素和单项式：",
        "reading": "读法", "every_size_verdict": "对任意尺寸",
        "seed.(3) as written": "按原文的 (3)",
        "seed.(3) with the channel swap of its formula (2)": "带有其公式 (2) 中通道交换的 (3)",
        "seed.(6) as written": "按原文的 (6)",
        "holds": "成立", "does_not_hold": "不成立",
        "seed.equal": "在全部 {total} 个元素上与引擎的闭式解相等",
        "seed.shape": "得到的形状为 {got}，而梯度的形状为 {want}",
        "seed.differ": "{total} 个元素中有 {differ} 个不同；例如在 {at} 处得到 {got}，而梯度为 {want}",
        "seed.differ1": "{total} 个元素中有 1 个不同：在 {at} 处得到 {got}，而梯度为 {want}",
        "seed.error": "无法求值：{error}",
        "hw.problem1": "第 1 题", "hw.problem2": "第 2 题",
        "hw.p1.intro": r"对 $y = x \otimes h$（$\otimes$：模板运算，即不翻转卷积核的互相关），${k}$ 卷积核，"
                       r"填充 {p}，步长 {s}{d}，由 symconv 的引擎从定义推导损失函数 $L$ 的导数；"
                       r"$g = \partial L/\partial y$。",
        "hw.data": "数据（输入特征 $F$ 的各通道，模板 $h$）：",
        "hw.setting": r"模板运算的步长为 {stride}，填充为 {pads}，膨胀为 {dilation}；全连接层有 {m} 个输出节点，"
                      r"输入为 $\mathrm{{relu}}_1$ 按（通道，行，列）顺序拉成的 {n} 维向量；目标类别 $y_{{{t}}} = 1$。",
        "hw.1": "(1) 模板运算", "hw.2": "(2) ReLU 激活", "hw.3": "(3) 全连接", "hw.4": "(4) softmax 归一化",
        "hw.5": "(5) 交叉熵", "hw.6": "(6) 反向传播到模板运算", "hw.7": "(7) 全连接权重的导数",
        "hw.8": "(8) 模板（卷积核）的导数", "hw.beyond": "作业之外", "hw.checks": "核对",
        "hw.natural_log": "对数为自然对数。",
        "hw.closed_form": "由引擎为该模板运算推导出的闭式解（第 1 题的方法）：",
        "check": "核对：{items}。",
        "check.float": "用相同表达式以 float64 重新计算：{err}",
        "check.fd": "对 $L$ 的中心差分：{err}",
        "check.sep": "；",
        "bound.within": r"最大 $|\Delta| \le {tol} \cdot M = {bound}$",
        "bound.exceeds": r"最大 $|\Delta| = {value}$，超过界 ${tol} \cdot M = {bound}$（失败）",
        "bound.beyond": "精确值超出 float64 的范围，重新计算得到相同的无穷大",
        "bound.cell_beyond": "超出 float64",
        "hw.checks.about": r"每项核对都是相对的：与精确值的最大差不超过 $10^{-12} \cdot M$（float64 重新计算）"
                           r"或 $10^{-6} \cdot M$（中心差分，每一步使 $\mathrm{fc}_1$ 改变约 $10^{-6}$）即通过，"
                           r"$M \ge \max(1, \max |\text{值}|)$ 是该部分的量级，向上取到 10 的幂：把所有输入、"
                           r"权重和偏置取绝对值、把 $|\partial L/\partial \mathrm{fc}_1|$ 取为 1 重新计算该部分"
                           r"（相互抵消的项不会让正确的值不通过），softmax 之后的部分再乘以 $\mathrm{fc}_1$ 的这一量级"
                           r"（$\mathrm{fc}_1$ 中的误差 $\delta$ 在其后是相对误差 $\delta$）。softmax 与交叉熵以 "
                           r"float64 的精度、但不会溢出地重新计算（在 $\mathrm{fc}_1 - \max \mathrm{fc}_1$ 处做 "
                           r"log-sum-exp）。",
        "hw.checks.failed": r"{n} 项核对失败：精确值与其 float64 重新计算不一致。",
        "magnitude": "$M$",
        "digits": "{n} 位",
        "hw.terminal.passed": "核对：全部通过（float64 最大差 <= 1e-12 * M，中心差分 <= 1e-6 * M，M 为各部分的量级）",
        "hw.terminal.failed": "核对：{n} 项失败（{which}）",
        "hw.terminal.cell_failed": "{error} 失败（界 {bound}）",
        "hw.E": r"softmax 的各个输入不相等，所以其精确值含有指数。这些指数只写一次，记为 $E_j$"
                r"（最大的输入对应 $E_j = 1$），$Z$ 为它们的和；下面每个值都用它们精确地写出，并附上小数：",
        "hw.same_rows": r"$W$ 的每一行都是同一行 $w$，所以 $W^{T}(p - y) = w^{T} \sum_i (p_i - y_i)$，"
                        r"而 $\sum_i p_i = 1 = \sum_i y_i$：该梯度为零。",
        "hw.vanishes": r"对这组数据，$W^{T}(p - y)$ 恰好为零。",
        "hw.zero_after": r"因此网络中在它之前的所有梯度（$\partial L/\partial \mathrm{conv}_1$、"
                         r"$\partial L/\partial h$、$\partial L/\partial x$）都为零。",
        "hw.no_ties": r"$\mathrm{conv}_1$ 没有恰好为 0 的元素，所以 ReLU 的导数处处为 0 或 1。",
        "hw.ties": r"在 {where} 处 $\mathrm{{conv}}_1$ 恰好为 0：此处 ReLU 的导数取 0（与 PyTorch 相同）；"
                   r"中心差分在此处是单侧的，不参与比较。",
        "hw.near_ties": r"在 {where} 处 $\mathrm{{conv}}_1$ 与 0 的距离不超过一个差分步长：经过它的差商是单侧的，"
                        r"不参与比较。",
        "hw.float_undecided": r"在 {where} 处 $\mathrm{{conv}}_1$ 不为 0，但其 float64 值与 0 的距离在"
                              r"$\mathrm{{conv}}_1$ 自身的误差界之内（各项相互抵消）：float64 无法判断 ReLU 取哪一侧，"
                              r"因此 ReLU 之后各部分的 float64 重算在此处采用 ReLU 的精确掩码。",
        "net.layers": "网络（逐层；每层的输出都是一个部分；展平按（通道，行，列）的顺序排列其输入的元素）：",
        "net.col.layer": "层", "net.col.type": "类型", "net.col.output": "输出", "net.col.params": "参数",
        "net.data": "数据：", "net.forward": "前向传播", "net.loss": "损失函数", "net.backward": "反向传播",
        "net.backward.about": "每个梯度都是该层的规则（SymPy 对其元素求的导数）作用于其后的梯度；模板运算（卷积）的梯度"
                              "来自引擎为其配置推导出的闭式解。",
        "net.conv": "步长 {stride}，填充 {pads}，膨胀 {dilation}，分组数 {groups}。",
        "net.pool": "窗口 {k}，步长 {stride}，填充 {pads}。",
        "net.avg_pad": "填充计入窗口大小 K（PyTorch 的默认做法）。",
        "net.max_rule": "梯度传给每个窗口的最大值；窗口中最大值出现多次时，传给按扫描顺序的第一个（PyTorch 的约定）。",
        "net.relu_ties": r"在 {where} 处 {layer} 的输入恰为 0：此处导数取 {value}（PyTorch 的约定）。",
        "net.no_ties": "没有 ReLU 的输入恰为 0，也没有池化窗口的最大值出现两次。",
        "net.pool_ties": "在 {where} 处 {layer} 的窗口中最大值出现多次：梯度传给按扫描顺序的第一个最大值（PyTorch 的约定）。",
        "net.float_undecided": "在 {where} 处 float64 无法判断数值位于拐点的哪一侧（在其自身误差界之内）：float64 重算在此处"
                               "采用精确值的一侧。",
        "net.exp": "指数均为精确值：有理数 $r$ 的 $e^{{r}}$，不作舍入。",
        "net.degenerate": "退化的部分",
        "net.deg.same_rows.zero_always": r"对任意输入 ${part}$ 都为 0：${W}$ 的每一行都是同一行 $w$，"
                                         r"故 ${W}^{{T}}(p - y) = w \sum_i (p_i - y_i) = 0$，其前面的梯度也都为 0。",
        "net.deg.same_rows.constant_always": r"对任意输入 ${part}$ 都相同：${W}$ 的各行（及其偏置）相等，"
                                             r"故各得分相等，$p_i = 1/m$。",
        "net.deg.dead_relu.zero_always": r"对任意输入 ${part}$ 都为 0：${layer}$ 的输入对任何输入都不可能为正"
                                         r"（由其前面的权重与偏置的符号可知），该处的 ReLU 全部失活。",
        "net.deg.uncovered.zero_some_always": r"${part}$ 的部分元素对任意输入都为 0：${layer}$ 的窗口都不经过它们。",
        "net.deg.data.zero_here": r"${part}$ 只对这组数据为 0（并非对任意输入）。",
        "net.no_degenerate": "没有对任意输入都为 0 或常数的部分。",
        "net.t.line": "退化：{part} {what}（{why}）",
        "net.t.zero_always": "对任意输入都为 0", "net.t.constant_always": "对任意输入都相同",
        "net.t.zero_some_always": "有元素对任意输入都为 0", "net.t.zero_here": "只对这组数据为 0",
        "net.t.same_rows": "{W} 的每一行都相同", "net.t.dead_relu": "{layer} 的 ReLU 全部失活",
        "net.t.uncovered": "{layer} 的窗口都不经过它们", "net.t.data": "并非对任意输入",
        "seed.verdict": "{reading}：{verdict}。", "n/a": "不适用",
        "seed.graded": "按 symconv check 评分的方式评判（同一个读取器、同一个对任意尺寸的证明）：",
        "seed.graded.verdict": "{reading}：{verdict}",
        "seed.graded.convention": r"{reading}：按课程的 $\otimes$ 约定{verdict}（$\partial L/\partial y$ 与卷积核之间"
                                  r"单独的 $\otimes$ 隐含通道交换，与作业式 (2) 相同）",
        "seed.graded.mistake": "；可能的错误：{mistake}",
        "seed.graded.strict": "严格按字面读（卷积核的通道不交换，即 symconv check 加 strict-channels 选项时的评分）："
                              "{verdict}；可能的错误：{mistake}。",
        "seed.graded.detail": "评分器的说明：{detail}。",
        "seed.intro.channels": r"每种读法（$\partial L/\partial y$ 填充 $K-1-P$）都在 $[-3, 3]$ 中的随机整数（种子 "
                               r"11）上逐元素与上面的闭式解比较，输入为 ${shape}$（与文件相同：{c_in} 个输入通道、"
                               "{c_out} 个输出通道）。",
        "seed.channels_cut": "文件有 {c_in} 个输入通道和 {c_out} 个输出通道；测试每个方向至多用两个（索引映射对任何"
                             "通道数都相同）。",
        "seed.show.(3) as written": "严格按字面读的 (3)（卷积核的通道不交换）",
        "seed.show.(3) with the channel swap of its formula (2)": r"按课程 $\otimes$ 约定的 (3)（即其公式 (2) 的"
                                                                  "通道交换）",
        "seed.show.(6) as written": "按原文的 (6)",
        "t.exact": "精确值（前几个）", "t.fd": "中心差分", "t.wrote": "已写入 {path}",
        "var.zero": "{part} 的每个元素都是 0",
        "var.tiny": "{part} 接近 0（最大的元素为 {v}，小于 {tiny}；allow_tiny = true 可保留）",
        "var.relu_zero": "ReLU 的输入在 {where} 处恰为 0",
        "var.pool_tie": "最大池化窗口在 {where} 处有并列最大值",
        "var.uniform": "softmax 的输出 p 是均匀的（每一类都是 1/{n}）",
        "var.digits": "{part} 的精确值中有 {n} 位的数（上限为 {max}：max_digits）",
        "var.check": "{part} 没有通过 {check} 核对",
        "var.shared": "{part} 与学生 {other} 的相同",
        "var.done": "已为 {n} 名学生写入题目变体到 {out}（sheets/、keys/、variants.json）；舍弃了 {rejected} 次抽取，"
                    "原因见 variants.json",
        "ps.title": "{title}：你的题目",
        "ps.student": "学生：{name}（学号 {id}）",
        "ps.data": "你的数据",
        "ps.setting": "设置", "ps.value": "值",
        "ps.questions": "题目", "ps.points": "分值",
        "ps.total": "总分：{n} 分。",
        "ps.hand_in": "提交方式",
        "ps.how": "每个答案写在一个带标签 ans:PART 的 LaTeX 公式中（PART 为上表中的部分名称，见下面的模板），或写在由 "
                  "PART = LaTeX 行组成的 .toml 文件中。请保留模板第一行（你的学号）在文件开头，或在文件名中写上你的学号。"
                  "答案按你自己的数据批改。",
        "part": "部分", "shape": "形状", "scalar": "标量", "float_diff": "float64 最大差",
        "fd_diff": "中心差分最大差",
        "g.title": "{name} 的评分", "g.grades": "评分", "verdict": "结论",
        "g.given": "给出的答案：", "g.expected": "正确答案：",
        "v.correct": "正确", "v.wrong": "错误", "v.unparsed": "无法解析", "v.missing": "缺失",
        "derive.title": "模板运算的反向传播（{name}）",
        "title.ndim": "{n} 维", "title.kernel": "{k} 卷积核", "title.stride": "步长 {s}",
        "title.padding": "填充 {p}", "title.dilation": "膨胀 {d}", "title.groups": "{g} 组",
        "title.bias": "有偏置",
        "derive.title_second": "卷积的二阶反向传播（{name}）",
        "h2.grad_input": r"$\mathit{gI}$：$L_2$ 相对于输入 $x$ 的导数",
        "h2.grad_weight": r"$\mathit{gW}$：$L_2$ 相对于模板（卷积核）$h$ 的导数",
        "h2.grad_output": r"$\mathit{ggO}$：$L_2$ 相对于 $g = \partial L/\partial y$ 的导数",
        "h2.definition": "定义",
        "h2.steps": "逐步推导",
        "second.intro": r"PyTorch 的二阶反向传播（函数 \_convolution\_double\_backward）对一阶导数再求一次导。"
                        r"给定方向 $\mathit{ggI}$、$\mathit{ggW}$、$\mathit{ggb}$（形状与 $x$、$h$、$b$ 相同），"
                        r"它返回 $\mathit{gI}$、$\mathit{gW}$、$\mathit{ggO}$，即 $L_2 = \sum \mathit{ggI}\cdot"
                        r"\partial L/\partial x + \sum \mathit{ggW}\cdot\partial L/\partial h + \sum \mathit{ggb}"
                        r"\cdot\partial L/\partial b$ 相对于 $x$、$h$、$g$ 的导数。下面由一阶推导的下标求和式构造 "
                        r"$L_2$，用 SymPy 求导，再用同一组规则改写，每一步都当场核对。",
        "second.ggb": r"$\mathit{ggO}$ 还含 $\mathit{ggb}$：加到其输出通道的每个元素上。",
        "second.result": "结果", "second.form": "闭式解", "second.term": "第 {k} 项",
        "second.proof": r"每个闭式解都已证明（isl）{statement}：把 $\mathit{{ggW}}$ 读作 $h$ 时 $\mathit{{gI}}$ 就是 "
                        r"$\partial L/\partial x$，把 $\mathit{{ggI}}$ 读作 $x$ 时 $\mathit{{gW}}$ 就是 "
                        r"$\partial L/\partial h$，$\mathit{{ggO}}$ 的每一项读回后就是不含偏置的前向结果 $y$"
                        r"（$L$ 对 $g$ 的导数）；$L$ 对 $x$ 与对 $h$ 都是线性的，所以它们就是 $L_2$ 的导数。",
        "second.check": r"在输入 {size} 上的第二意见（整数，精确比较）：上面的闭式解在 {checked} 个元素上等于把 "
                        r"$\mathit{{ggW}}$ 读作 $h$、把 $\mathit{{ggI}}$ 读作 $x$ 的一阶闭式解，$\mathit{{ggO}}$ "
                        r"等于 $(\mathit{{ggI}}, h)$ 与 $(x, \mathit{{ggW}})$ 的前向结果之和（$L$ 的线性，推导中未用到）"
                        r"{verdict}。",
        "second.check.failed": "；二者不同：{detail}",
        "legend.unary": r"算子：$\operatorname{dilate}_S$ 在相邻元素之间插入 $S-1$ 个零，"
                        r"$\operatorname{pad}_{(l, r)}$ 补零（宽度为负表示裁剪），$[S \mid t]$ 在 $S$ 整除 $t$ 时为 1，"
                        r"否则为 0。$g = \partial L / \partial y$。",
        "proof.intro.unary": "由 Presburger 算术（isl）判定，而非抽样。$L = \\sum g\\,y$ 对 $x$ 与对 $g$ 都是线性的，"
                             "$\\partial L/\\partial x$ 的每个元素都是 $g$ 的若干元素之和；记 $\\mathcal{M}(\\cdot)$ 为"
                             "（元素，$g$ 的元素）对的集合。由定义（其指标表达式）求导得到的集合必须等于闭式解（每个算子"
                             "读作指标上的仿射关系）给出的集合，且每对只出现一次：",
        "proof.detail.unary": "{checked} 个元素与定义的导数（NumPy 自身对每个单位输入做切片或填充）相同",
        "proof.detail.windows": "{checked} 个元素与定义的导数（对每个单位输入的窗口逐个循环，独立于推导引擎编写）相同",
        "general.proved.windows": "已证明（isl）：{statement}（代入步长与膨胀后）；上面配置的闭式解就是代入其尺寸后的这个式子。"
                                  "symconv 的全尺寸扫描对每个轴上 1 到 3 的每种步长与膨胀证明它。",
        "legend.pool": r"算子：$\operatorname{divide}(g,\ d)$ 把 $g$ 的每个元素除以其输出位置的除数 $d$（见下文）；"
                       r"$\operatorname{dilate}_S$ 在相邻元素之间插入 $S-1$ 个零，$\operatorname{pad}_{(l, r)}$ 补零"
                       r"（宽度为负表示裁剪），$\operatorname{sum\_windows}_K$ 把每个位置换成从它起 $K$ 个元素之和"
                       r"（每个轴上每个长为 $K$ 的连续窗口），$[S \mid t]$ 在 $S$ 整除 $t$ 时为 1，否则为 0；$H^{o}$ 是输出的长度。"
                       r"$g = \partial L / \partial y$。",
        "pool.divisor.count": r"除数 $\operatorname{count}_{K;S;P}$：输出位置 $i$ 的窗口覆盖的元素个数，计入填充，"
                              r"但截止于填充后输入的末端（PyTorch 的 count\_include\_pad）；除了 ceil\_mode 让最后一个"
                              r"窗口越过末端的情形，它都等于 $K$。",
        "pool.divisor.valid_count": r"除数 $\operatorname{count}^{\mathrm{valid}}_{K;S;P}$：输出位置 $i$ 的窗口"
                                    r"覆盖的 $x$ 的真实元素（不含填充）个数（PyTorch 的 count\_include\_pad=False），"
                                    r"于是每个输出都是它真正平均的那些元素的均值。",
        "pool.divisor.kernel": r"除数在每个输出位置都是一个窗口的元素个数 {value}：每个输出是其窗口的均值，计入填充。",
        "pool.divisor.override": r"除数在每个输出位置都是 divisor\_override = {value}，与窗口覆盖什么无关。",
        "pool.divisor.values": r"在输入 {size} 上，它是 {values}。",
        "pool.divisor.axis": "第 {k} 轴：{values}",
        "pool.divisor.values.axes": r"在输入 {size} 上，它是各轴因子之积，{values}。",
        "derive.title_slice": "带步长切片 {name} 的反向传播",
        "derive.title_pad": "常数填充 {name} 的反向传播",
        "derive.title_transposed": "转置卷积的反向传播（{name}）",
        "derive.title_avg_pool": "平均池化的反向传播（{name}）",
        "derive.title_unfold": "unfold（im2col）的反向传播（{name}）",
        "derive.title_fold": "fold（col2im）到 {size} 的反向传播（{name}）",
        "title.window": "{k} 窗口", "title.ceil_mode": "向上取整", "title.count_include_pad": "计入填充",
        "title.count_real": "只计真实元素", "title.divisor_override": "除数 {d}",
        "title.output_padding": "输出填充 {r}",
        "g.missing": "未作答",
        "g.exact": "完全相等{how}",
        "g.rounded": "在 {places} 位小数的舍入范围内相等{how}",
        "g.coarse": "{given} 在 {places} 位小数的舍入范围内，但有效数字少于 {digits} 位：近似写出的值至少要有 {digits} 位有效数字才算对",
        "g.shape": "形状为 {got}，应为 {want}",
        "g.differ": "{n} 个元素不同{how}：{shown}{more}",
        "g.differ1": "1 个元素不同{how}：{shown}{more}",
        "g.entry": "{at}：给出 {given}，应为 {want}",
        "g.more": "（另有 {n} 个）",
        "g.flat": "（按（通道，行，列）顺序读取）",
        "g.broadcast": "（一个矩阵代表所有通道）",
        "g.broadcast_value": "（一个值代表所有元素）",
        "g.broadcast_row": "（一行代表所有行）",
        "g.unknown": "未知的部分 {label}；已知：{known}",
        "g.chain": "等式链不成立：{a} 不等于 {b}",
        "g.entry_hedge": "答案写了 {name} = {a}，与它给出的值 {b} 相矛盾（模棱两可的答案算错，即使其中一个是对的）",
        "g.one_channel": "只给出了通道 {given}；缺少 {n} 个：{missing}",
        "g.unread_step": "{detail}（等式链中有一步未能读取，{step}：按其最终的值评分）",
        "g.two_values": "答案给出了两个不同的值：{a} 和 {b}（模棱两可的答案算错，即使其中一个是对的）",
        "p.at": "第 {col} 列（'{rest}'）", "p.at_end": "第 {col} 列（末尾）",
        "p.unread": "latex2sympy2 无法读取 {text}：位置在{where}",
        "p.unread_past": "latex2sympy2 无法读取 {text}：{where}之后的内容未能读取",
        "p.juxtaposed": "{where}有两个数之间只有空格：'{shown}' 不会被当作乘积；请用 & 或逗号分隔元素，或写 \\cdot",
        "p.empty_entry": "列表中{where}有一个空元素",
        "p.empty_value": "{where}的值为空",
        "p.shapes_entries": "逗号分隔的各项形状不同：{shapes}",
        "p.shapes_channels": "各通道的形状不同：{shapes}",
        "p.channel_twice": "通道 {channel} 给出了两次（{names}）",
        "p.no_maths": "答案中没有数学内容（只有文字）",
        "p.no_answer": "没有写答案（为空，或只有“?”）",
        "p.reference": "引用了别的答案（同上），但没有写出它的值",
        "p.no_value": "答案的各边都没有给出数值（{text}）",
        "p.constant_size": "表达式中的常数向量有 {n} 个元素（上限为 {limit}）",
        "p.dots": "{where}的省略号只有在写出的各元素都相同时才能代表其余元素",
        "g.with_mistake": "{detail}；可能的错误：{mistake}",
        "g.likely": "可能的错误：{mistake}。",
        "g.formula_part": "{grad} 的公式",
        "g.cut": "（…… 另有 {n:,} 个字符）",
        "g.more_parts": "（另有 {n:,} 个部分只记在成绩册中，此处不列出。）",
        "g.and": "{a}，并且{b}",
        "g.shape_then": "形状为 {got}，应为 {want}；转置回来后，{rest}",
        "m.transposed": "转置了（行与列互换）",
        "m.missing_channel": "缺少通道（答案只给出了部分通道）",
        "m.fc_scale": "漏掉了全连接层权重的因子 {scale}（fc1 及其后各部分都按不含该因子计算）",
        "m.wrong_target": "目标类别取成了 {given}，应为 {want}（one-hot 的 y 放错了位置，L 之后的各部分随之出错）",
        "m.rounded": "舍入过粗（超出所写的 {places} 位小数的精度，但误差在 1% 以内）",
        "m.one_entry": "有一个元素错了：{at}（计算笔误？）",
        "m.truncated": "舍入过粗：在第 {places} 位小数后直接截断，而不是四舍五入（{source} 截断后为 {given}；"
                       "四舍五入应为 {right}）",
        "m.truncated_below": "略小于 {want} 的 float64 值 {near}",
        "m.sign_flipped": "符号反了（例如把 p - y 写成了 y - p）",
        "m.kernel_flipped": "卷积核被翻转了（做成了卷积，而模板运算是不翻转的互相关）",
        "m.softmax_for_gradient": "用 softmax 代替了它的梯度（在应为 p - y 的地方用了 p）",
        "m.relu_mask": "忘记了 ReLU 的掩码，或掩码取自错误的张量",
        "m.relu_mask_missing": "忘记了 ReLU 的掩码（把 dL/drelu1 当作 dL/dconv1）",
        "m.relu_mask_early": "把 ReLU 的掩码用在了 dL/drelu1 上（它属于 dL/dconv1）",
        "m.relu_mask_wrong": "ReLU 的掩码取自错误的张量（按梯度的符号，或取反），应按 conv1 > 0",
        "m.no_relu": "漏掉了 ReLU（在应使用 relu1 的地方用了 conv1）",
        "m.flatten_order": "relu1 没有按（通道，行，列）的顺序拉成向量",
        "m.flatten_order_matrix": "dL/dW 的元素按列依次列出（列优先），而应按行依次读取",
        "m.flatten_order_entries": "元素没有按（通道，行，列）的顺序列出",
        "m.log_base_10": "用了以 10 为底的对数，而不是自然对数",
        "m.no_rotation": "没有旋转（卷积核必须旋转 180 度）",
        "m.extra_rotation": "多了一次不该有的旋转",
        "m.no_swap": "没有交换通道（卷积核的输入通道与输出通道必须互换）",
        "m.missing_channel_sum": "缺少对输出通道的求和（{var} 没有求和，只取了第一个值）",
        "m.missing_batch_sum": "缺少对各图像（批次）的求和（{var} 没有求和，只取了第一个值）",
        "m.missing_sum": "缺少一个求和（{var} 没有求和，只取了第一个值）",
        "m.bounds_cut": "求和的上下限截掉了一项",
        "m.bounds_cut_high": "求和的上下限截掉了一项（{var} 的求和止于 {bound}，漏掉了 {var} = {term} 这一项）",
        "m.bounds_cut_low": "求和的上下限截掉了一项（{var} 的求和始于 {bound}，漏掉了 {var} = {term} 这一项）",
        "m.shifted_index": "下标在 {var} 方向上偏移了 {k}（写成了 {wrote}，应为 {right}）",
        "m.flipped_sign": "偏移量的符号在 {var} 方向上反了（写成了 {wrote}，应为 {right}）",
        "m.extra_swap": "多了一次不该有的通道交换",
        "m.pad_off_by_one": "填充差了 1",
        "m.no_dilation": "缺少步长对应的膨胀",
        "fa.unknown": "未知的公式部分 {part}；已知：{known}",
        "fa.proved": "读作 dL/d{wrt} = {form}：已证明 {statement}",
        "fa.undecided": "读作 dL/d{wrt} = {form}：无法判定（{detail}）",
        "fa.refuted": "读作 dL/d{wrt} = {form}：被否定，{counterexample}",
        "fa.refuted_here": "读作 dL/d{wrt} = {form}：被否定，{found}（无法对任意尺寸表示：{detail}）",
        "fa.with_note": "{detail}；注：{note}",
        "fa.swap_implied": "按作业式 (2) 的写法，(x) 隐含了通道交换",
        "fa.index_proved": "读作 dL/d{wrt} 的下标求和式（{reading}；共 {steps} 行）：最后一行已证明 {statement}",
        "fa.index_refuted": "读作 dL/d{wrt} 的下标求和式（{reading}）：被否定，{counterexample}",
        "fa.index_undecided": "读作 dL/d{wrt} 的下标求和式：无法判定（{detail}）",
        "fa.reading_assumed": "公式没有说明下标的编号方式；按 {reading} 理解",
        "fa.step_wrong": "第 {n} 步不能由第 {before} 步得到：{detail}",
        "fa.step1_wrong": "第 1 步不能由 y 的定义得到：{detail}",
        "h.figure": "哪些元素相遇",
        "fig.caption": r"一个输入元素 $u$、它所遇到的 $g = \partial L/\partial y$ 的元素（每个标注了收集它的、旋转并交换"
                       r"通道后的卷积核元素），步长大于 1 时它们在 $\operatorname{dilate}_S(g)$ 中的位置，以及用到的卷积核元素。",
        "fig.caption.unit": r"一个输入元素 $u$、它所遇到的 $g = \partial L/\partial y$ 的元素（每个标注了收集它的、旋转"
                            "并交换通道后的卷积核元素），以及用到的卷积核元素。",
    },
}


def w(key: str, lang: str = "en", **values: object) -> str:
    """The sentence ``key`` in ``lang``, with ``values`` filled in."""
    text = WORDS[lang][key]
    return text.format(**values) if values else text
