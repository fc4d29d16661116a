import Foundation
import VAEPipeImageCodecs
import VAEPipeTestSupport

/// Image folders the adapter tests write for themselves.
enum FolderFixtures {
    /// A PNG of one flat gray `value`.
    static func flatPNG(_ value: UInt8, side: Int = 4) -> [UInt8] {
        try! PNGCodec.encode(RasterImage(width: side, height: side, channels: 1,
                                         pixels: [UInt8](repeating: value, count: side * side)))
    }

    /// A PNG whose header (and start of image data) is fine but whose data stops short: only a
    /// full decode finds out.
    static func truncatedPNG(side: Int = 4) -> [UInt8] {
        let whole = flatPNG(77, side: side)
        return Array(whole.prefix(whole.count - 16))
    }

    static func write(_ bytes: [UInt8], to path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        precondition(FileManager.default.createFile(atPath: path, contents: Data(bytes)), path)
    }

    /// `count` flat gray PNGs named 000.png, 001.png, ... with value 5 * i (so a pixel names
    /// its file), and a truncated one in place of each index in `broken`.
    static func numberedFolder(count: Int, broken: Set<Int> = [], name: String = #function) -> String {
        let dir = Fixtures.temporaryDirectory(name)
        for i in 0..<count {
            let file = dir + "/" + String(format: "%03d.png", i)
            write(broken.contains(i) ? truncatedPNG() : flatPNG(UInt8(5 * i)), to: file)
        }
        return dir
    }
}
