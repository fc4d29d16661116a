import VAEPipeCore

/// Antialiased resizing of 8-bit interleaved images: a separable triangle filter whose support
/// widens with the downscale factor (what Pillow calls BILINEAR with reducing), so a 2000-pixel
/// photo shrunk to 32 averages every source pixel instead of sampling a few and aliasing.
enum Resample {
    /// Filter taps for a run of output samples, flat: output i reads `width` consecutive source
    /// samples from `first[i]`, weighted by `weights[i * width ..< (i + 1) * width]` (zero-padded,
    /// and shifted inward at the edges, so no read ever leaves the source).
    struct Taps {
        var first: [Int]
        var weights: [Float]
        var width: Int
    }

    /// Taps for outputs `keep` of a resize from `inSize` samples to `outSize`.
    static func taps(from inSize: Int, to outSize: Int, keeping keep: Range<Int>) -> Taps {
        let scale = Double(inSize) / Double(outSize)
        let support = max(scale, 1)
        let width = min(inSize, Int((2 * support).rounded(.up)) + 2)
        var first = [Int](repeating: 0, count: keep.count)
        var weights = [Float](repeating: 0, count: keep.count * width)
        for (n, i) in keep.enumerated() {
            let center = (Double(i) + 0.5) * scale
            let lo = max(0, Int((center - support).rounded(.down)))
            let hi = min(inSize - 1, Int((center + support).rounded(.up)), lo + width - 1)
            var w = [Double](repeating: 0, count: width)
            var sum: Double = 0
            let start = min(lo, inSize - width)
            for j in lo...max(lo, hi) {
                let t = max(0, 1 - abs((Double(j) + 0.5 - center) / support))
                w[j - start] = t; sum += t
            }
            if sum == 0 {  // a footprint that falls between samples: take the nearest
                let j = min(inSize - 1, max(0, Int(center)))
                w = [Double](repeating: 0, count: width); w[j - start] = 1; sum = 1
            }
            first[n] = start
            for k in 0..<width { weights[n * width + k] = Float(w[k] / sum) }
        }
        return Taps(first: first, weights: weights, width: width)
    }

    /// Where a source image lands in a width x height target: it is scaled to `scaled`, the
    /// window at `crop` of size `region` is kept, and written at `offset` in the target.
    struct Plan: Equatable {
        var scaled: (width: Int, height: Int)
        var crop: (x: Int, y: Int)
        var region: (width: Int, height: Int)
        var offset: (x: Int, y: Int)

        static func == (a: Plan, b: Plan) -> Bool {
            a.scaled == b.scaled && a.crop == b.crop && a.region == b.region && a.offset == b.offset
        }
    }

    static func plan(width w: Int, height h: Int, to target: (width: Int, height: Int), mode: ResizeMode) -> Plan {
        let (tw, th) = target
        switch mode {
        case .stretch:
            return Plan(scaled: (tw, th), crop: (0, 0), region: (tw, th), offset: (0, 0))
        case .fill:
            let s = max(Double(tw) / Double(w), Double(th) / Double(h))
            let sw = max(tw, Int((Double(w) * s).rounded())), sh = max(th, Int((Double(h) * s).rounded()))
            return Plan(scaled: (sw, sh), crop: ((sw - tw) / 2, (sh - th) / 2), region: (tw, th), offset: (0, 0))
        case .fit:
            let s = min(Double(tw) / Double(w), Double(th) / Double(h))
            let sw = min(tw, max(1, Int((Double(w) * s).rounded()))), sh = min(th, max(1, Int((Double(h) * s).rounded())))
            return Plan(scaled: (sw, sh), crop: (0, 0), region: (sw, sh), offset: ((tw - sw) / 2, (th - sh) / 2))
        }
    }

    /// The smallest source size that `plan` only ever shrinks: how small a JPEG may decode.
    static func minimumSource(width w: Int, height h: Int, to target: (width: Int, height: Int),
                              mode: ResizeMode) -> (width: Int, height: Int) {
        switch mode {
        case .stretch: return target
        case .fill, .fit:
            let fx = Double(target.width) / Double(w), fy = Double(target.height) / Double(h)
            let s = mode == .fill ? max(fx, fy) : min(fx, fy)
            return (Int((Double(w) * s - 1e-6).rounded(.up)), Int((Double(h) * s - 1e-6).rounded(.up)))
        }
    }

    /// Resizes `src` (width x height x c) by `plan` into the target `out`, whose rows are
    /// `outWidth` pixels of c channels; only the kept window is computed, and only from the
    /// source rows it needs.
    static func resize(_ src: UnsafePointer<UInt8>, width: Int, height: Int, channels c: Int, plan: Plan,
                       into out: UnsafeMutablePointer<UInt8>, outWidth: Int) {
        let xt = taps(from: width, to: plan.scaled.width, keeping: plan.crop.x..<(plan.crop.x + plan.region.width))
        let yt = taps(from: height, to: plan.scaled.height, keeping: plan.crop.y..<(plan.crop.y + plan.region.height))
        let rowLo = yt.first.min()!, rowHi = yt.first.max()! + yt.width
        let rw = plan.region.width, rowFloats = rw * c
        withUnsafeTemporaryAllocation(of: Float.self, capacity: (rowHi - rowLo) * rowFloats + rowFloats) { buffer in
            let tmp = buffer.baseAddress!, acc = tmp + (rowHi - rowLo) * rowFloats
            xt.first.withUnsafeBufferPointer { xf in
                xt.weights.withUnsafeBufferPointer { xw in
                    for y in rowLo..<rowHi {
                        let row = src + y * width * c, t = tmp + (y - rowLo) * rowFloats
                        switch c {
                        case 1: horizontal(row, 1, xf, xw, xt.width, rw, t)
                        case 3: horizontal(row, 3, xf, xw, xt.width, rw, t)
                        case 4: horizontal(row, 4, xf, xw, xt.width, rw, t)
                        default: horizontal(row, c, xf, xw, xt.width, rw, t)
                        }
                    }
                }
            }
            yt.weights.withUnsafeBufferPointer { yw in
                for oy in 0..<plan.region.height {
                    // Weights outermost: each pass is a contiguous multiply-add the compiler vectorises.
                    acc.update(repeating: 0, count: rowFloats)
                    for k in 0..<yt.width {
                        let w = yw[oy * yt.width + k]
                        if w == 0 { continue }
                        let t = tmp + (yt.first[oy] - rowLo + k) * rowFloats
                        for x in 0..<rowFloats { acc[x] += w * t[x] }
                    }
                    let o = out + ((plan.offset.y + oy) * outWidth + plan.offset.x) * c
                    for x in 0..<rowFloats { o[x] = UInt8(min(255, max(0, acc[x] + 0.5))) }
                }
            }
        }
    }

    /// One source row through the horizontal taps; `c` is a literal at each call site so the
    /// channel loop unrolls.
    @inline(__always)
    private static func horizontal(_ row: UnsafePointer<UInt8>, _ c: Int, _ first: UnsafeBufferPointer<Int>,
                                   _ weights: UnsafeBufferPointer<Float>, _ width: Int, _ count: Int,
                                   _ t: UnsafeMutablePointer<Float>) {
        for ox in 0..<count {
            let s = row + first[ox] * c, w = weights.baseAddress! + ox * width
            for ch in 0..<c {
                var a: Float = 0
                for k in 0..<width { a += w[k] * Float(s[k * c + ch]) }
                t[ox * c + ch] = a
            }
        }
    }
}
