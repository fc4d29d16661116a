import Foundation

/// How an image is brought to the target width x height.
public enum ResizeMode: String, Sendable, CaseIterable {
    /// Scale so the image covers the target, then center-crop (torchvision's Resize + CenterCrop).
    case fill
    /// Scale so the whole image fits, centred on the background colour (letterbox).
    case fit
    /// Scale each axis on its own, ignoring the aspect ratio.
    case stretch
}

/// What happens to a file that cannot be decoded.
public enum BadFilePolicy: String, Sendable, CaseIterable {
    /// Leave it out, list it with the reason, carry on with the rest.
    case skip
    /// Stop with an error naming the file.
    case fail
}

/// Where decoded images live between epochs.
public enum CacheMode: String, Sendable, CaseIterable {
    /// Decode the whole set once into memory (8-bit) when it fits the cache limit; stream otherwise.
    case memory
    /// Decode every image again in every epoch: memory stays bounded whatever the folder size.
    case none
}

/// An opaque colour, for compositing transparent pixels and for letterbox borders.
public struct RGBColor: Sendable, Equatable, CustomStringConvertible {
    public var red: UInt8, green: UInt8, blue: UInt8
    public init(red: UInt8, green: UInt8, blue: UInt8) { self.red = red; self.green = green; self.blue = blue }

    public static let white = RGBColor(red: 255, green: 255, blue: 255)
    public static let black = RGBColor(red: 0, green: 0, blue: 0)
    static let named: [String: RGBColor] = [
        "white": .white, "black": .black, "gray": RGBColor(red: 128, green: 128, blue: 128),
        "grey": RGBColor(red: 128, green: 128, blue: 128), "red": RGBColor(red: 255, green: 0, blue: 0),
        "green": RGBColor(red: 0, green: 255, blue: 0), "blue": RGBColor(red: 0, green: 0, blue: 255),
    ]

    /// A name (white, black, gray, red, green, blue), `#RRGGBB` or `#RGB`; nil for anything else.
    public init?(parsing text: String) {
        let t = text.lowercased()
        if let c = RGBColor.named[t] { self = c; return }
        var hex = Array(t.hasPrefix("#") ? t.dropFirst() : Substring(t))
        if hex.count == 3 { hex = hex.flatMap { [$0, $0] } }
        guard hex.count == 6, let v = UInt32(String(hex), radix: 16) else { return nil }
        self.init(red: UInt8(v >> 16), green: UInt8(v >> 8 & 255), blue: UInt8(v & 255))
    }

    /// ITU-R 601 luma, as Pillow's convert("L") computes it: the colour on a gray image.
    public var luma: UInt8 {
        let r = Int(red) * 299, g = Int(green) * 587, b = Int(blue) * 114
        return UInt8((r + g + b + 500) / 1000)
    }

    public var description: String {
        for (name, c) in RGBColor.named.sorted(by: { $0.key < $1.key }) where c == self && name != "grey" { return name }
        return String(format: "#%02x%02x%02x", red, green, blue)
    }
}

/// Options an adapter may honour. IDX files keep their native size and channels.
public struct DatasetOptions: Sendable {
    /// Target size for image folders.
    public var width: Int
    public var height: Int
    public var resize: ResizeMode = .fill
    /// 1 gray, 3 RGB, 4 RGBA; nil: RGB if any image has colour, gray otherwise (alpha only when asked).
    public var channels: Int?
    /// Composited under transparent pixels, and the border colour of `fit`.
    public var background: RGBColor = .white
    /// Decode threads (image folders).
    public var workers: Int = Parallel.cores
    public var cache: CacheMode = .memory
    /// Bytes of decoded 8-bit pixels `--cache memory` may hold.
    public var cacheLimit: Int = DatasetOptions.defaultCacheLimit
    public var onBadFile: BadFilePolicy = .skip
    /// Images declaring more pixels than this are refused before any pixel is allocated.
    public var maxPixels: Int = 64_000_000
    /// Decode at most this many training images (nil: all).
    public var limit: Int?
    /// Image folders: the share of images held out as a test split, picked by a hash of each
    /// file's path (nil: `defaultTestFraction` from `testSplitMinimum` images up, none below).
    public var testFraction: Double?
    public static let defaultTestFraction = 0.1, testSplitMinimum = 300

    /// A square target: `size` x `size`.
    public init(size: Int = 32, limit: Int? = nil) {
        self.init(width: size, height: size, limit: limit)
    }

    public init(width: Int, height: Int, limit: Int? = nil) {
        self.width = width; self.height = height; self.limit = limit
    }

    /// 1 GiB, or a quarter of the machine's memory when that is less.
    public static let defaultCacheLimit = Int(min(UInt64(1) << 30, ProcessInfo.processInfo.physicalMemory / 4))
}
