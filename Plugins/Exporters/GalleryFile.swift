import Foundation
import VAEPipeCore
import VAEPipeImageCodecs

/// A rendered gallery and its PNG encoding.
public struct RenderedGallery {
    public var image: GridImage
    public var png: [UInt8]
}

extension Exporter {
    /// Renders the gallery and encodes it as PNG, once, for whoever writes or embeds it.
    public static func renderPNG(_ request: ExportRequest) throws -> RenderedGallery {
        let grid = try render(request)
        let png = try PNGCodec.encode(RasterImage(width: grid.width, height: grid.height,
                                                  channels: grid.channels, pixels: grid.pixels))
        return RenderedGallery(image: grid, png: png)
    }

    /// Renders and writes the gallery as PNG (atomically).
    public static func export(_ request: ExportRequest, to path: String) throws {
        try renderPNG(request).png.withUnsafeBytes { try AtomicFile.write($0, to: path) }
    }
}
