/// Antialiased resizing of 8-bit interleaved images: a separable triangle filter whose support
/// widens with the downscale factor (what Pillow calls BILINEAR with reducing), so a 2000-pixel
/// photo shrunk to 32 averages every source pixel instead of sampling a few and aliasing.
enum Resample {
    /// Per output index: the first source index and the normalised weights that follow it.
    struct Taps {
        var start: [Int]
        var weights: [[Float]]
    }

    static func taps(from inSize: Int, to outSize: Int, offset: Double = 0) -> Taps {
        let scale = Double(inSize) / Double(outSize)
        let support = max(scale, 1)
        var start: [Int] = [], weights: [[Float]] = []
        start.reserveCapacity(outSize); weights.reserveCapacity(outSize)
        for i in 0..<outSize {
            let center = (Double(i) + 0.5) * scale + offset
            let lo = max(0, Int((center - support).rounded(.down)))
            let hi = min(inSize - 1, Int((center + support).rounded(.up)))
            var w: [Float] = []
            var sum: Double = 0
            for j in lo...max(lo, hi) {
                let t = max(0, 1 - abs((Double(j) + 0.5 - center) / support))
                w.append(Float(t)); sum += t
            }
            if sum == 0 {  // a footprint that falls between samples: take the nearest
                let j = min(inSize - 1, max(0, Int(center)))
                start.append(j); weights.append([1]); continue
            }
            start.append(lo); weights.append(w.map { $0 / Float(sum) })
        }
        return Taps(start: start, weights: weights)
    }

    /// Resizes so the shorter side equals `size`, then center-crops to size x size
    /// (torchvision's Resize(size) + CenterCrop(size)). Only the cropped window is computed.
    static func resizeAndCenterCrop(_ pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
                                    channels c: Int, size: Int) -> [UInt8] {
        let scale = Double(size) / Double(min(width, height))
        let fullW = max(size, Int((Double(width) * scale).rounded()))
        let fullH = max(size, Int((Double(height) * scale).rounded()))
        // The crop starts (fullW - size) / 2 output pixels in: shift the sampling centres by that.
        let cropX = (fullW - size) / 2, cropY = (fullH - size) / 2
        let xt = taps(from: width, to: fullW, offset: 0)
        let yt = taps(from: height, to: fullH, offset: 0)

        // Horizontal pass over every source row, only for the kept columns.
        var tmp = [Float](repeating: 0, count: height * size * c)
        tmp.withUnsafeMutableBufferPointer { t in
            for y in 0..<height {
                let row = pixels.baseAddress! + y * width * c
                for ox in 0..<size {
                    let i = ox + cropX, s = xt.start[i]
                    for ch in 0..<c {
                        var acc: Float = 0
                        for (k, w) in xt.weights[i].enumerated() { acc += w * Float(row[(s + k) * c + ch]) }
                        t[(y * size + ox) * c + ch] = acc
                    }
                }
            }
        }
        // Vertical pass for the kept rows.
        var out = [UInt8](repeating: 0, count: size * size * c)
        for oy in 0..<size {
            let i = oy + cropY, s = yt.start[i]
            for x in 0..<(size * c) {
                var acc: Float = 0
                for (k, w) in yt.weights[i].enumerated() { acc += w * tmp[(s + k) * size * c + x] }
                out[oy * size * c + x] = UInt8(max(0, min(255, acc.rounded())))
            }
        }
        return out
    }
}
