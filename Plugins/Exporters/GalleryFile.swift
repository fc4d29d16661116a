import VAEPipeCore
import VAEPipeImageCodecs

extension Exporter {
    /// Renders and writes the gallery as PNG (atomically).
    public static func export(_ request: ExportRequest, to path: String) throws {
        let grid = try render(request)
        try PNGCodec.write(RasterImage(width: grid.width, height: grid.height, channels: grid.channels,
                                       pixels: grid.pixels), to: path)
    }
}
