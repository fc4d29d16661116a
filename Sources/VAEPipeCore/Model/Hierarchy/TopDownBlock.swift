import Foundation

/// One block of the top-down decoder at side x side with `width` channels (VDVAE's DecBlock):
/// it draws a latent group z of `latentChannels` per pixel and adds it into the running state h.
///
///     forward                                        backward (reverse order)
///     (pm, pv, hf) = prior(h)                        dh2 = res'(dOut)
///     (qm, qv) = posterior(concat(h, a))             dz = zIn'(dh2);  dhf = dh2
///     z = qm + e^(qv/2) eps        (training)        dqm = dz + dKL/dqm;  dqv = dz eps e^(qv/2)/2 + dKL/dqv
///       = pm + e^(pv/2) eps T      (sampling)        dpm, dpv = dKL/dpm, dKL/dpv
///     h1 = h + hf;  h2 = h1 + zIn(z)                 dh = dh2 + prior'(dp) + posterior'(dq)[h part]
///     out = res(h2)                                  da += posterior'(dq)[a part]
///     KL = sum GaussianKL(q, p)
///
/// The prior's last layer starts at zero (p = N(0, I), hf = 0) and zIn and the residual's last
/// layer at 1/sqrt(blocks), so a deep stack starts near the identity, with no normalisation.
final class TopDownBlock {
    enum Draw {
        /// q(z | x, z<i): the encoder's activation at this side (training, evaluation).
        case posterior(UnsafePointer<Float>)
        /// p(z | z<i), its noise times the temperature (0: the prior's mean).
        case prior(temperature: Float)
        /// A given z, row r at `z + r * stride` (a gallery's top latent).
        case given(UnsafePointer<Float>, stride: Int)
    }

    let side: Int, width: Int, latentChannels: Int
    var pixels: Int { side * side }
    /// Latent values per row: side x side x latentChannels.
    var groupSize: Int { pixels * latentChannels }
    let posterior: Sequential, prior: Sequential, zIn: Sequential, res: Sequential
    let layers: [Layer]
    private let scaled: [(index: Int, scale: Float)]
    private var values: UnsafeMutablePointer<Float>?

    private let concat: FloatBuffer, z: FloatBuffer, h2: FloatBuffer, dq: FloatBuffer, dp: FloatBuffer, dh: FloatBuffer
    /// This block's KL summed over the last forward's rows, and each row's share.
    private(set) var klSum: Double = 0
    private var last: (noise: UnsafePointer<Float>, stride: Int, batch: Int, posterior: Bool)?
    /// Rows of the last forward.
    var rows: Int { last?.batch ?? 0 }

    init(side: Int, width: Int, latentChannels: Int, blocks: Int, capacity: Int) {
        self.side = side; self.width = width; self.latentChannels = latentChannels
        let w = width, zc = latentChannels, m = max(1, width / 2), n = side * side
        func conv(_ i: Int, _ o: Int, _ k: Int) -> Conv2D {
            Conv2D(inChannels: i, outChannels: o, height: side, width: side, kernel: k, stride: 1, padding: k / 2)
        }
        // VDVAE's Block without its residual: SiLU, 1x1 in to m, 3x3, 3x3, 1x1 out.
        func branch(_ i: Int, _ o: Int) -> [Layer] {
            [SiLU(n * i), conv(i, m, 1), SiLU(n * m), conv(m, m, 3), SiLU(n * m), conv(m, m, 3), SiLU(n * m), conv(m, o, 1)]
        }
        let scale = 1 / Float(max(1, blocks)).squareRoot()
        let q = branch(2 * w, 2 * zc), p = branch(w, 2 * zc + w), zi: [Layer] = [conv(zc, w, 1)]
        let r: [Layer] = [ResNet.block(channels: w, side: side, scale: scale)]
        posterior = Sequential(q, capacity: capacity)
        prior = Sequential(p, capacity: capacity)
        zIn = Sequential(zi, capacity: capacity)
        res = Sequential(r, capacity: capacity)
        layers = q + p + zi + r
        scaled = [(q.count + p.count - 1, 0), (q.count + p.count, scale)]
        concat = FloatBuffer(count: capacity * n * 2 * w)
        z = FloatBuffer(count: capacity * n * zc)
        h2 = FloatBuffer(count: capacity * n * w)
        dq = FloatBuffer(count: capacity * n * 2 * zc)
        dp = FloatBuffer(count: capacity * n * (2 * zc + w))
        dh = FloatBuffer(count: capacity * n * w)
    }

    var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// Parameter names within the block: "q.1.weight", "p.7.bias", "z.0.weight", "res.0.3.weight".
    var parameterSpecs: [ParameterSpec] {
        var specs: [ParameterSpec] = []
        for (prefix, net) in [("q", posterior), ("p", prior), ("z", zIn), ("res", res)] {
            for (i, layer) in net.layers.enumerated() where layer.parameterCount > 0 {
                specs += layer.parameterSpecs.map { ParameterSpec(name: "\(prefix).\(i).\($0.name)", shape: $0.shape) }
            }
        }
        return specs
    }

    func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        self.values = values
        var offset = 0
        for layer in layers where layer.parameterCount > 0 {
            layer.bind(values: values + offset, gradients: gradients + offset)
            offset += layer.parameterCount
        }
    }

    func initialize(rng: inout SplitMix64) {
        for layer in layers { layer.initialize(rng: &rng) }
        guard let values else { return }
        for (index, scale) in scaled {
            let offset = layers[..<index].reduce(0) { $0 + $1.parameterCount }
            Residual.scaleAtInitialisation(values + offset, layers[index].parameterSpecs, by: scale)
        }
    }

    /// Runs the block on h [batch x side x side x width]; returns the new state (valid until the
    /// next forward). Row r's noise is `noise + r * stride` (groupSize values). With `kl`, each
    /// row's KL (posterior draws only) is added into kl[r].
    func forward(_ h: UnsafePointer<Float>, draw: Draw, noise: UnsafePointer<Float>, stride: Int, batch: Int,
                 kl: UnsafeMutablePointer<Float>?) -> UnsafePointer<Float> {
        let w = width, zc = latentChannels, n = pixels, pc = 2 * zc + w
        let pOut = UnsafePointer(prior.forward(h, batch: batch))
        var isPosterior = false
        klSum = 0
        switch draw {
        case .posterior(let a):
            isPosterior = true
            for r in 0..<batch {
                for i in 0..<n {
                    let at = (r * n + i)
                    (concat.pointer + at * 2 * w).update(from: h + at * w, count: w)
                    (concat.pointer + at * 2 * w + w).update(from: a + at * w, count: w)
                }
            }
            let qOut = posterior.forward(concat.pointer, batch: batch)
            for r in 0..<batch {
                let eps = noise + r * stride
                var rowKL = 0.0  // hundreds of terms: summed in Double, so the total keeps their precision
                for i in 0..<n {
                    let q = qOut + (r * n + i) * 2 * zc, p = pOut + (r * n + i) * pc, zr = z.pointer + (r * n + i) * zc
                    for c in 0..<zc {
                        zr[c] = q[c] + exp(0.5 * q[zc + c]) * eps[i * zc + c]
                        rowKL += Double(GaussianKL.value(qm: q[c], qv: q[zc + c], pm: p[c], pv: p[zc + c]))
                    }
                }
                kl?[r] += Float(rowKL)
                klSum += rowKL
            }
        case .prior(let t):
            for r in 0..<batch {
                let eps = noise + r * stride
                for i in 0..<n {
                    let p = pOut + (r * n + i) * pc, zr = z.pointer + (r * n + i) * zc
                    for c in 0..<zc { zr[c] = p[c] + exp(0.5 * p[zc + c]) * eps[i * zc + c] * t }
                }
            }
        case .given(let given, let s):
            for r in 0..<batch { (z.pointer + r * n * zc).update(from: given + r * s, count: n * zc) }
        }
        let zp = zIn.forward(z.pointer, batch: batch)
        for r in 0..<batch {
            for i in 0..<n {
                let at = r * n + i, hf = pOut + at * pc + 2 * zc, out = h2.pointer + at * w, hi = h + at * w, zi = zp + at * w
                for c in 0..<w { out[c] = hi[c] + hf[c] + zi[c] }
            }
        }
        last = (noise, stride, batch, isPosterior)
        return UnsafePointer(res.forward(h2.pointer, batch: batch))
    }

    /// The posterior moments [rows x side x side x 2 latentChannels] (means, then log-variances,
    /// per pixel) of the last posterior forward.
    var posteriorMoments: UnsafePointer<Float> { UnsafePointer(posterior.output) }
    /// The latent group [rows x side x side x latentChannels] of the last forward.
    var latent: UnsafePointer<Float> { UnsafePointer(z.pointer) }

    /// Adds each row's log p(z | z<i) - log q(z | x, z<i) of the last posterior forward's draw into
    /// out[r]: the group's share of an importance weight (the log 2 pi terms cancel).
    func addLogRatio(into out: UnsafeMutablePointer<Double>) {
        guard let last, last.posterior else { preconditionFailure("TopDownBlock: log ratio without a posterior forward") }
        let w = width, zc = latentChannels, n = pixels, pc = 2 * zc + w
        let qOut = UnsafePointer(posterior.output), pOut = UnsafePointer(prior.output)
        for r in 0..<last.batch {
            let eps = last.noise + r * last.stride
            var sum = 0.0
            for i in 0..<n {
                let q = qOut + (r * n + i) * 2 * zc, p = pOut + (r * n + i) * pc, zr = z.pointer + (r * n + i) * zc
                for c in 0..<zc {
                    let e = Double(eps[i * zc + c]), d = Double(zr[c] - p[c])
                    sum += 0.5 * (Double(q[zc + c]) + e * e) - 0.5 * (Double(p[zc + c]) + d * d * exp(-Double(p[zc + c])))
                }
            }
            out[r] += sum
        }
    }

    /// Backward through the last (posterior) forward: dOut is dL/d(out). The KL's gradient is
    /// taken with weight `klScale` (the batch mean's 1/rows times the objective's KL weight).
    /// Adds dL/da into `dEncoded`; returns dL/dh (valid until the next backward).
    func backward(_ dOut: UnsafePointer<Float>, klScale: Float, dEncoded: UnsafeMutablePointer<Float>,
                  parts: BatchParts) -> UnsafePointer<Float> {
        guard let last, last.posterior else { preconditionFailure("TopDownBlock: backward without a posterior forward") }
        let w = width, zc = latentChannels, n = pixels, pc = 2 * zc + w, batch = last.batch
        res.backward(dOut, batch: batch, computeInputGradient: true, parts: parts)
        let dh2 = UnsafePointer(res.inputGradient)
        zIn.backward(dh2, batch: batch, computeInputGradient: true, parts: parts)
        let dz = UnsafePointer(zIn.inputGradient)
        let qOut = UnsafePointer(posterior.output), pOut = UnsafePointer(prior.output)
        for r in 0..<batch {
            let eps = last.noise + r * last.stride
            for i in 0..<n {
                let at = r * n + i
                let q = qOut + at * 2 * zc, p = pOut + at * pc, g = dz + at * zc
                let dqr = dq.pointer + at * 2 * zc, dpr = dp.pointer + at * pc
                for c in 0..<zc {
                    let k = GaussianKL.gradient(qm: q[c], qv: q[zc + c], pm: p[c], pv: p[zc + c], scale: klScale)
                    dqr[c] = g[c] + k.qm
                    dqr[zc + c] = g[c] * eps[i * zc + c] * 0.5 * exp(0.5 * q[zc + c]) + k.qv
                    dpr[c] = k.pm
                    dpr[zc + c] = k.pv
                }
                (dpr + 2 * zc).update(from: dh2 + at * w, count: w)
            }
        }
        prior.backward(dp.pointer, batch: batch, computeInputGradient: true, parts: parts)
        posterior.backward(dq.pointer, batch: batch, computeInputGradient: true, parts: parts)
        let dpIn = UnsafePointer(prior.inputGradient), dcat = UnsafePointer(posterior.inputGradient)
        for r in 0..<batch {
            for i in 0..<n {
                let at = r * n + i, out = dh.pointer + at * w, da = dEncoded + at * w
                let a = dh2 + at * w, b = dpIn + at * w, c2 = dcat + at * 2 * w
                for c in 0..<w {
                    out[c] = a[c] + b[c] + c2[c]
                    da[c] += c2[w + c]
                }
            }
        }
        return UnsafePointer(dh.pointer)
    }
}
