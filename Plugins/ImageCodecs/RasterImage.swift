/// 8-bit interleaved pixels, row-major; channels 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
public struct RasterImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]      // count == width*height*channels

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }
}
