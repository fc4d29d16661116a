// Convolutions are lowered to one GEMM over the whole batch. The lowering's shapes: an image is
// [H x W x C] (NHWC, channels fastest); a kernel x kernel window slides over it at `stride` with
// `padding` zeros around it, landing on every point of a gridH x gridW grid. Conv2D reads its
// input through the window (grid = its output); ConvTranspose2D writes its output through it
// (grid = its input), which is why one geometry and one pair of copies serve both.

/// One example's image and the grid of window positions over it.
struct ConvGeometry {
    let height: Int, width: Int, channels: Int
    let kernel: Int, stride: Int, padding: Int
    let gridHeight: Int, gridWidth: Int

    /// K: one window, ordered (ky, kx, c).
    var windowSize: Int { kernel * kernel * channels }
    var imageSize: Int { height * width * channels }
    var gridSize: Int { gridHeight * gridWidth }

    /// The window at grid point (gy, gx): its top-left corner (y0, x0) in image coordinates,
    /// which may lie in the padding, and the kernel rows and columns that land inside the image.
    @inline(__always)
    func window(_ gy: Int, _ gx: Int) -> (y0: Int, x0: Int, ky: Range<Int>, kx: Range<Int>) {
        let y0 = gy * stride - padding, x0 = gx * stride - padding
        return (y0, x0, max(0, -y0)..<max(max(0, -y0), min(kernel, height - y0)),
                max(0, -x0)..<max(max(0, -x0), min(kernel, width - x0)))
    }
}

/// im2col and col2im for one layer's geometry, run on the pool with the batch split between
/// threads: each example's windows are its own rows of cols and each example's image is its
/// own, so the pieces never write to the same place. A class the layer keeps, so a call
/// allocates nothing.
final class Lowering: RangeKernel {
    enum Start { case zero, bias(UnsafePointer<Float>) }
    let g: ConvGeometry
    private var images: UnsafeMutablePointer<Float>?
    private var cols: UnsafeMutablePointer<Float>?
    private var gather = true
    private var start = Start.zero

    init(_ g: ConvGeometry) { self.g = g }

    private var perExample: Int { g.gridSize * g.windowSize }

    /// cols = every window of images (see Im2Col.im2col).
    func im2col(_ images: UnsafePointer<Float>, batch: Int, into cols: UnsafeMutablePointer<Float>) {
        self.images = UnsafeMutablePointer(mutating: images); self.cols = cols; gather = true
        Parallel.forRanges(batch, minimumChunk: max(1, 16_384 / perExample), self)
    }

    /// images = `start` (zeros, or the bias in every pixel) + every window of cols scattered back.
    func col2im(_ cols: UnsafePointer<Float>, batch: Int, into images: UnsafeMutablePointer<Float>, start: Start) {
        self.images = images; self.cols = UnsafeMutablePointer(mutating: cols); gather = false; self.start = start
        Parallel.forRanges(batch, minimumChunk: max(1, 16_384 / perExample), self)
    }

    func run(_ r: Range<Int>) {
        let image = images! + r.lowerBound * g.imageSize, c = cols! + r.lowerBound * perExample
        if gather { Im2Col.im2col(image, batch: r.count, g, into: c); return }
        switch start {
        case .zero: image.update(repeating: 0, count: r.count * g.imageSize)
        case .bias(let b):
            for p in 0..<(r.count * g.height * g.width) { (image + p * g.channels).update(from: b, count: g.channels) }
        }
        Im2Col.col2im(c, batch: r.count, g, addingInto: image)
    }
}

enum Im2Col {
    /// cols[(B * gridH * gridW) x K] = every window of images[B x H x W x C], zeros where it
    /// hangs over the padding. With K ordered (ky, kx, c), the in-bounds kx of one ky are one
    /// contiguous stretch of an image row, so each (window, ky) is a single copy.
    static func im2col(
        _ images: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry, into cols: UnsafeMutablePointer<Float>
    ) {
        let c = g.channels, k = g.kernel, span = k * c, imageRow = g.width * c
        var row = cols
        for b in 0..<batch {
            let image = images + b * g.imageSize
            for gy in 0..<g.gridHeight {
                for gx in 0..<g.gridWidth {
                    defer { row += g.windowSize }
                    let (y0, x0, ky, kx) = g.window(gy, gx)
                    if ky.count == k && kx.count == k {
                        // Most windows lie wholly inside the image: k straight copies, no edges.
                        var src = image + (y0 * g.width + x0) * c
                        for r in 0..<k { copy(src, to: row + r * span, count: span); src += imageRow }
                        continue
                    }
                    if ky.isEmpty || kx.isEmpty { zero(row, count: g.windowSize); continue }
                    if ky.lowerBound > 0 { zero(row, count: ky.lowerBound * span) }
                    let head = kx.lowerBound * c, run = kx.count * c, tail = (k - kx.upperBound) * c
                    var src = image + ((y0 + ky.lowerBound) * g.width + x0 + kx.lowerBound) * c
                    var dst = row + ky.lowerBound * span
                    for _ in ky {
                        if head > 0 { zero(dst, count: head) }
                        copy(src, to: dst + head, count: run)
                        if tail > 0 { zero(dst + head + run, count: tail) }
                        src += imageRow; dst += span
                    }
                    if ky.upperBound < k { zero(row + ky.upperBound * span, count: (k - ky.upperBound) * span) }
                }
            }
        }
    }

    /// images[B x H x W x C] += every window of cols scattered back to where im2col read it
    /// (the adjoint of im2col). Overlapping windows add up, padding is dropped. The caller
    /// initialises `images` (zeros for a gradient, the bias for a transposed convolution).
    static func col2im(
        _ cols: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry, addingInto images: UnsafeMutablePointer<Float>
    ) {
        let c = g.channels, k = g.kernel, span = k * c, imageRow = g.width * c
        var row = cols
        for b in 0..<batch {
            let image = images + b * g.imageSize
            for gy in 0..<g.gridHeight {
                for gx in 0..<g.gridWidth {
                    defer { row += g.windowSize }
                    let (y0, x0, ky, kx) = g.window(gy, gx)
                    guard !ky.isEmpty && !kx.isEmpty else { continue }
                    var src = row + ky.lowerBound * span + kx.lowerBound * c
                    var dst = image + ((y0 + ky.lowerBound) * g.width + x0 + kx.lowerBound) * c
                    for _ in ky {
                        add(src, into: dst, count: kx.count * c)
                        src += span; dst += imageRow
                    }
                }
            }
        }
    }

    // The runs are k * C floats or fewer: 4 for a one-channel image, where a memcpy/memset call
    // costs more than the copy, so short runs go four floats at a time instead.

    @inline(__always)
    private static func copy(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 32 { dst.update(from: src, count: count); return }
        var i = 0
        while i + 4 <= count {
            UnsafeMutableRawPointer(dst + i).storeBytes(
                of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
            i += 4
        }
        while i < count { dst[i] = src[i]; i += 1 }
    }

    @inline(__always)
    private static func zero(_ dst: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 32 { dst.update(repeating: 0, count: count); return }
        for i in 0..<count { dst[i] = 0 }
    }

    @inline(__always)
    private static func add(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 4 <= count {
            let s = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<Float>.self)
            let d = UnsafeRawPointer(dst + i).loadUnaligned(as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: d + s, as: SIMD4<Float>.self)
            i += 4
        }
        while i < count { dst[i] += src[i]; i += 1 }
    }
}

/// A scratch matrix of `perExample` floats per example for one slice of the batch, that lives as
/// long as its layer. A layer lowers its batch a slice at a time: cols of a whole 64x64 batch
/// are tens of megabytes per layer, which would go to memory and back between im2col and the
/// GEMM; a slice of about `sliceBytes` stays in cache, and the scratch stays that small. The
/// `Layer` protocol carries no capacity, so it is sized on first use and regrown only when a
/// larger slice arrives; a training step allocates nothing.
final class BatchScratch {
    static let sliceBytes = 4 << 20
    let perExample: Int
    /// Examples per slice.
    let slice: Int
    private var buffer: FloatBuffer?

    /// `slice`: examples per slice (default: as many as fit in `sliceBytes`).
    init(perExample: Int, slice: Int? = nil) {
        self.perExample = perExample
        self.slice = max(1, slice ?? Self.sliceBytes / 4 / max(1, perExample))
    }

    /// (first example, count) of each slice of a batch.
    func slices(_ batch: Int) -> BatchSlices { BatchSlices(batch: batch, slice: slice) }

    func pointer(batch: Int) -> UnsafeMutablePointer<Float> {
        if let buffer, buffer.count >= batch * perExample { return buffer.pointer }
        let grown = FloatBuffer(count: batch * perExample)
        buffer = grown
        return grown.pointer
    }
}

/// The slices of 0..<batch, `slice` examples each (the last may be shorter), as (first, count)
/// pairs, without building an array.
struct BatchSlices: Sequence, IteratorProtocol {
    let end: Int, slice: Int
    private var position: Int
    init(batch: Int, slice: Int) { self.init(range: 0..<batch, slice: slice) }
    /// The slices of the examples `range`, from its first.
    init(range: Range<Int>, slice: Int) { end = range.upperBound; position = range.lowerBound; self.slice = slice }
    mutating func next() -> (first: Int, count: Int)? {
        guard position < end else { return nil }
        defer { position += slice }
        return (position, Swift.min(slice, end - position))
    }
}
