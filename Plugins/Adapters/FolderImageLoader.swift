import VAEPipeCore
import VAEPipeImageCodecs

/// One file of an image folder, with what its header said.
struct FolderFile: Sendable {
    var path: String
    var header: ImageHeader
}

/// Decodes a folder's images on demand, each straight to the set's shape: at the smallest
/// JPEG DCT scale the resize still only shrinks, upright, channels converted, resized.
struct FolderImageLoader: ImageLoader {
    let files: [FolderFile]
    let shape: ImageShape
    let resize: ResizeMode
    let background: RGBColor
    let maxPixels: Int

    var count: Int { files.count }
    func path(_ index: Int) -> String { files[index].path }

    func load(_ index: Int, into out: UnsafeMutablePointer<UInt8>) throws {
        let file = files[index]
        let minimum = Resample.minimumSource(width: file.header.width, height: file.header.height,
                                             to: (shape.width, shape.height), mode: resize)
        let image: RasterImage
        do {
            image = try ImageDecoder.decodeFile(atPath: file.path, maxPixels: maxPixels, minimumSize: minimum)
        } catch {
            throw VAEPipeError.badFile(path: file.path, reason: error.reason)
        }
        ImageFitting.render(image, into: out, shape: shape, mode: resize, background: background)
    }
}
