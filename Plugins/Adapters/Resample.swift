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

    /// Taps for outputs `keep` of a resize from `inSize` samples to `outSize`: every source
    /// sample whose centre lies strictly inside the filter's support, weights normalised.
    static func taps(from inSize: Int, to outSize: Int, keeping keep: Range<Int>) -> Taps {
        let scale = Double(inSize) / Double(outSize)
        let support = max(scale, 1)
        var ranges: [(lo: Int, hi: Int)] = []
        ranges.reserveCapacity(keep.count)
        for i in keep {
            let center = (Double(i) + 0.5) * scale
            var lo = max(0, Int((center - support - 0.5).rounded(.down)) + 1)
            var hi = min(inSize - 1, Int((center + support - 0.5).rounded(.up)) - 1)
            if hi < lo {  // a footprint that falls between samples: take the nearest
                lo = min(inSize - 1, max(0, Int(center))); hi = lo
            }
            ranges.append((lo, hi))
        }
        let width = ranges.map { $0.hi - $0.lo + 1 }.max() ?? 1
        var first = [Int](repeating: 0, count: keep.count)
        var weights = [Float](repeating: 0, count: keep.count * width)
        for (n, i) in keep.enumerated() {
            let center = (Double(i) + 0.5) * scale
            let (lo, hi) = ranges[n]
            let start = min(lo, inSize - width)
            var sum: Double = 0
            for j in lo...hi { sum += max(0, 1 - abs((Double(j) + 0.5 - center) / support)) }
            for j in lo...hi {
                let t = max(0, 1 - abs((Double(j) + 0.5 - center) / support))
                weights[n * width + j - start] = Float(sum > 0 ? t / sum : 1)
            }
            first[n] = start
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
    /// `outWidth` pixels of c channels. Only the kept window is computed, from only the source
    /// rows and columns it needs: first down the columns (whole rows of contiguous
    /// multiply-adds, which the compiler vectorises), then along the rows of that smaller
    /// intermediate.
    static func resize(_ src: UnsafePointer<UInt8>, width: Int, height: Int, channels c: Int, plan: Plan,
                       into out: UnsafeMutablePointer<UInt8>, outWidth: Int) {
        let xt = taps(from: width, to: plan.scaled.width, keeping: plan.crop.x..<(plan.crop.x + plan.region.width))
        let yt = taps(from: height, to: plan.scaled.height, keeping: plan.crop.y..<(plan.crop.y + plan.region.height))
        let colLo = xt.first.min()!, colHi = xt.first.max()! + xt.width
        let span = (colHi - colLo) * c
        let (rw, rh) = plan.region
        withUnsafeTemporaryAllocation(of: Float.self, capacity: rh * span) { buffer in
            let tmp = buffer.baseAddress!
            yt.weights.withUnsafeBufferPointer { yw in
                for oy in 0..<rh {
                    let t = tmp + oy * span
                    t.update(repeating: 0, count: span)
                    for k in 0..<yt.width {
                        let w = yw[oy * yt.width + k]
                        if w == 0 { continue }
                        let s = src + ((yt.first[oy] + k) * width + colLo) * c
                        for x in 0..<span { t[x] += w * Float(s[x]) }
                    }
                }
            }
            xt.first.withUnsafeBufferPointer { xf in
                xt.weights.withUnsafeBufferPointer { xw in
                    for oy in 0..<rh {
                        let t = tmp + oy * span - colLo * c
                        let o = out + ((plan.offset.y + oy) * outWidth + plan.offset.x) * c
                        switch c {
                        case 1: horizontal(t, 1, xf, xw, xt.width, rw, o)
                        case 3: horizontal(t, 3, xf, xw, xt.width, rw, o)
                        case 4: horizontal(t, 4, xf, xw, xt.width, rw, o)
                        default: horizontal(t, c, xf, xw, xt.width, rw, o)
                        }
                    }
                }
            }
        }
    }

    /// One intermediate row through the horizontal taps into 8-bit output; `c` is a literal at
    /// each call site, so the channel branches fold away and the sums stay in registers.
    @inline(__always)
    private static func horizontal(_ row: UnsafePointer<Float>, _ c: Int, _ first: UnsafeBufferPointer<Int>,
                                   _ weights: UnsafeBufferPointer<Float>, _ width: Int, _ count: Int,
                                   _ out: UnsafeMutablePointer<UInt8>) {
        for ox in 0..<count {
            let s = row + first[ox] * c, w = weights.baseAddress! + ox * width
            var a0: Float = 0, a1: Float = 0, a2: Float = 0, a3: Float = 0
            for k in 0..<width {
                let wk = w[k], p = s + k * c
                a0 += wk * p[0]
                if c > 1 { a1 += wk * p[1] }
                if c > 2 { a2 += wk * p[2] }
                if c > 3 { a3 += wk * p[3] }
            }
            let o = out + ox * c
            o[0] = byte(a0)
            if c > 1 { o[1] = byte(a1) }
            if c > 2 { o[2] = byte(a2) }
            if c > 3 { o[3] = byte(a3) }
        }
    }

    /// Rounds and clamps to 0...255 without Swift's checked float-to-integer conversion: adding
    /// 1.5 * 2^23 leaves the rounded value in the low mantissa bits.
    @inline(__always)
    static func byte(_ v: Float) -> UInt8 {
        UInt8(truncatingIfNeeded: (min(255, max(0, v)) + 12_582_912).bitPattern)
    }
}
