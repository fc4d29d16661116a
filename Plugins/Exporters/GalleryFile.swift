import Foundation
import VAEPipeCore
import VAEPipeImageCodecs

/// A rendered gallery and its PNG encoding.
public struct RenderedGallery {
    public var image: GridImage
    public var png: [UInt8]
}

extension RenderedGallery {
    /// Encodes a rendered picture as PNG.
    public init(_ image: GridImage) throws {
        self.init(image: image, png: try PNGCodec.encode(RasterImage(width: image.width, height: image.height,
                                                                     channels: image.channels, pixels: image.pixels)))
    }
}

extension Exporter {
    /// Renders the gallery and encodes it as PNG, once, for whoever writes or embeds it.
    public static func renderPNG(_ request: ExportRequest) throws -> RenderedGallery {
        try RenderedGallery(render(request))
    }

    /// Renders and writes the gallery as PNG (atomically).
    public static func export(_ request: ExportRequest, to path: String) throws {
        try renderPNG(request).png.withUnsafeBytes { try AtomicFile.write($0, to: path) }
    }
}

extension ExporterPlugin {
    /// Writes the gallery at `path`, atomically. Returns the picture and its PNG when the exporter
    /// draws one (for TensorBoard and the report); a loaded exporter writes its own format.
    /// A model the gallery does not apply to is an error saying why (callers that would rather
    /// skip it ask `notApplicable` first).
    @discardableResult
    public func write(_ request: ExportRequest, to path: String) throws -> RenderedGallery? {
        if let why = notApplicable(request.model.config) {
            throw VAEPipeError.notApplicable(id, why)
        }
        switch output {
        case .picture(let render):
            let rendered = try RenderedGallery(render(request))
            try rendered.png.withUnsafeBytes { try AtomicFile.write($0, to: path) }
            return rendered
        case .file(let write):
            try write(request, path)
            return nil
        }
    }
}
