/// Nearest-neighbour upsampling by 2 on NHWC images: every pixel becomes a 2x2 block. Its
/// backward sums each block's four gradients back into the pixel (the adjoint of the copy).
public final class Upsample2D: Layer, RangeKernel {
    public let channels: Int, height: Int, width: Int
    public var inputSize: Int { height * width * channels }
    public var outputSize: Int { 4 * inputSize }
    private var source: UnsafePointer<Float>?, target: UnsafeMutablePointer<Float>?
    private var gathering = false

    public init(channels: Int, height: Int, width: Int) {
        precondition(channels > 0 && height > 0 && width > 0)
        self.channels = channels; self.height = height; self.width = width
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int) {
        source = x; target = y; gathering = false
        Parallel.forRanges(batch * height, minimumChunk: max(1, 8_192 / (width * channels)), self)
    }

    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        guard let dx else { return }
        source = dy; target = dx; gathering = true
        Parallel.forRanges(batch * height, minimumChunk: max(1, 8_192 / (width * channels)), self)
    }

    /// Input rows `r` (over the whole batch: image b's row i is row b * height + i); input row
    /// q's two output rows are 2q and 2q + 1 of the same flattened numbering.
    public func run(_ r: Range<Int>) {
        let c = channels, inRow = width * c, outRow = 2 * inRow
        for q in r {
            if gathering {
                let top = source! + 2 * q * outRow, bottom = top + outRow, dx = target! + q * inRow
                for x in 0..<width {
                    for k in 0..<c {
                        let a = 2 * x * c + k
                        dx[x * c + k] = (top[a] + top[a + c]) + (bottom[a] + bottom[a + c])
                    }
                }
            } else {
                let row = source! + q * inRow, top = target! + 2 * q * outRow
                for x in 0..<width {
                    (top + 2 * x * c).update(from: row + x * c, count: c)
                    (top + (2 * x + 1) * c).update(from: row + x * c, count: c)
                }
                (top + outRow).update(from: top, count: outRow)
            }
        }
    }
}
