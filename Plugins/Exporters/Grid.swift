import VAEPipeCore

/// Lays images out in a grid (torchvision's make_grid): tiles of `shape`, `columns` per row,
/// separated by `padding` pixels of mid-gray, each tile enlarged by an integer `zoom` so small
/// images (28x28) stay legible. Pure: no files.
public enum Grid {
    public static let separator: UInt8 = 128

    /// `tiles` holds `count` images of `shape`, Float in [0, 1], HWC. Missing cells stay gray.
    public static func make(tiles: UnsafeBufferPointer<Float>, shape: ImageShape, columns: Int,
                            rows: Int? = nil, padding: Int = 2, zoom: Int? = nil) -> GridImage {
        let n = tiles.count / shape.count
        let cols = max(1, columns)
        let rows = rows ?? (n + cols - 1) / cols
        let z = zoom ?? legibleZoom(shape)
        let th = shape.height * z, tw = shape.width * z, c = shape.channels
        let width = cols * tw + (cols + 1) * padding, height = rows * th + (rows + 1) * padding
        var pixels = [UInt8](repeating: separator, count: width * height * c)
        for t in 0..<min(n, rows * cols) {
            let ox = padding + (t % cols) * (tw + padding), oy = padding + (t / cols) * (th + padding)
            let src = tiles.baseAddress! + t * shape.count
            for y in 0..<th {
                for x in 0..<tw {
                    let s = ((y / z) * shape.width + x / z) * c, d = ((oy + y) * width + ox + x) * c
                    for ch in 0..<c { pixels[d + ch] = quantize(src[s + ch]) }
                }
            }
        }
        return GridImage(width: width, height: height, channels: c, pixels: pixels)
    }

    /// Round to nearest, as torchvision's save_image does (x * 255 + 0.5, clamped).
    @inline(__always)
    public static func quantize(_ v: Float) -> UInt8 {
        guard v.isFinite else { return 0 }
        return UInt8(max(0, min(255, v * 255 + 0.5)))
    }

    /// `make` over an array of tiles, at the size `request` asks for.
    public static func make(_ tiles: [Float], shape: ImageShape, columns: Int, rows: Int? = nil,
                            for request: ExportRequest) -> GridImage {
        tiles.withUnsafeBufferPointer {
            make(tiles: $0, shape: shape, columns: columns, rows: rows, zoom: zoom(shape, nativeSize: request.nativeSize))
        }
    }

    /// A tile's shorter side is brought to at least this many pixels, unless native size is asked for.
    public static let legibleSide = 64

    /// The smallest whole zoom that brings the shorter side to `legibleSide`: nearest-neighbour,
    /// so pixels stay square and sharp (28 px Fashion-MNIST tiles 3x, 32 px 2x, 64 px as they are).
    public static func legibleZoom(_ shape: ImageShape) -> Int {
        let side = max(1, min(shape.height, shape.width))
        return max(1, (legibleSide + side - 1) / side)
    }

    public static func zoom(_ shape: ImageShape, nativeSize: Bool) -> Int {
        nativeSize ? 1 : legibleZoom(shape)
    }
}
