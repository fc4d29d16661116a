import VAEPipeCore

/// An opaque colour.
public struct RGB: Equatable, Sendable {
    public var r, g, b: UInt8
    public init(_ hex: UInt32) { r = UInt8(hex >> 16 & 255); g = UInt8(hex >> 8 & 255); b = UInt8(hex & 255) }
    public static let white = RGB(0xFFFFFF)
}

/// An RGB picture to draw a chart on: rectangles, discs and bitmap text, each clipped to the
/// picture. Pure: no files.
struct Canvas {
    let width: Int, height: Int
    private(set) var pixels: [UInt8]

    init(width: Int, height: Int, background: RGB = .white) {
        self.width = width; self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(x: 0, y: 0, width: width, height: height, background)
    }

    var image: GridImage { GridImage(width: width, height: height, channels: 3, pixels: pixels) }

    mutating func set(_ x: Int, _ y: Int, _ c: RGB) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let o = (y * width + x) * 3
        pixels[o] = c.r; pixels[o + 1] = c.g; pixels[o + 2] = c.b
    }

    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ c: RGB) {
        let x0 = max(0, x), x1 = min(width, x + w), y0 = max(0, y), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 {
            for xx in x0..<x1 { set(xx, yy, c) }
        }
    }

    /// The rectangle's outline, one pixel wide, inside its bounds.
    mutating func frame(x: Int, y: Int, width w: Int, height h: Int, _ c: RGB) {
        fill(x: x, y: y, width: w, height: 1, c); fill(x: x, y: y + h - 1, width: w, height: 1, c)
        fill(x: x, y: y, width: 1, height: h, c); fill(x: x + w - 1, y: y, width: 1, height: h, c)
    }

    /// Every pixel whose centre is within `radius` of (cx, cy).
    mutating func disc(_ cx: Double, _ cy: Double, radius: Double, _ c: RGB) {
        let r = Int(radius.rounded(.up))
        let x0 = Int(cx.rounded(.down)), y0 = Int(cy.rounded(.down))
        for y in (y0 - r)...(y0 + r) {
            for x in (x0 - r)...(x0 + r) {
                let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
                if dx * dx + dy * dy <= radius * radius { set(x, y, c) }
            }
        }
    }

    /// `text` in the bitmap font, each font pixel a `scale` x `scale` square, top-left at (x, y).
    mutating func text(_ text: String, x: Int, y: Int, scale: Int, _ c: RGB) {
        for (i, ch) in text.enumerated() {
            let left = x + i * BitmapFont.advance * scale
            for gy in 0..<BitmapFont.height {
                for gx in 0..<BitmapFont.width where BitmapFont.isLit(ch, x: gx, y: gy) {
                    fill(x: left + gx * scale, y: y + gy * scale, width: scale, height: scale, c)
                }
            }
        }
    }
}
