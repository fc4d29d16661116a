import Foundation

/// Small data the tests make for themselves.
public enum Fixtures {
    /// A fresh empty directory under the system temp dir.
    public static func temporaryDirectory(_ name: String = #function) -> String {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let path = NSTemporaryDirectory() + "vaepipe-tests-\(safe)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// IDX bytes: magic 00 00 08 ndim, big-endian dims, then `data`.
    public static func idx(dimensions: [Int], data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0, 0, 8, UInt8(dimensions.count)]
        for d in dimensions { out += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return out + data
    }

    /// `count` images of side x side whose pixels form a pattern chosen by (i % 4): a light
    /// stripe in one of four places, so a model has something to learn.
    public static func patternImages(count: Int, side: Int) -> [UInt8] {
        var data: [UInt8] = []
        for i in 0..<count {
            for y in 0..<side { for x in 0..<side {
                let on: Bool
                switch i % 4 {
                case 0: on = x < side / 2
                case 1: on = x >= side / 2
                case 2: on = y < side / 2
                default: on = y >= side / 2
                }
                data.append(on ? 230 : 20)
            } }
        }
        return data
    }

    /// A directory with train-/t10k- IDX files (raw) of side x side pattern images and labels.
    public static func idxDirectory(train: Int = 64, test: Int = 16, side: Int = 8) -> String {
        let dir = temporaryDirectory("idx")
        func write(_ name: String, _ bytes: [UInt8]) {
            _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(bytes))
        }
        write("train-images-idx3-ubyte", idx(dimensions: [train, side, side], data: patternImages(count: train, side: side)))
        write("train-labels-idx1-ubyte", idx(dimensions: [train], data: (0..<train).map { UInt8($0 % 4) }))
        write("t10k-images-idx3-ubyte", idx(dimensions: [test, side, side], data: patternImages(count: test, side: side)))
        return dir
    }

    /// The package's Samples/ folder.
    public static var samples: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Samples").path
    }
}
