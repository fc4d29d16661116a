import Foundation
import VAEPipeCore

/// MNIST-style IDX data: one images file (raw or .gz), or a directory holding
/// `train-images-idx3-ubyte[.gz]` and optionally `t10k-images-idx3-ubyte[.gz]` (the test split),
/// with label files beside them when present.
public enum IDXAdapter: DatasetAdapter {
    public static let id = "idx"
    public static let summary = "MNIST-style IDX files, raw or .gz (a file, or a directory with train-/t10k- files)"

    public static func accepts(path: String) -> Bool {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return false }
        return isDir.boolValue ? find(path, "train", "images-idx3-ubyte") != nil : IDXFile.sniff(path: path)
    }

    public static func load(path: String, options: DatasetOptions) throws -> Dataset {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw VAEPipeError.missingPath(path) }
        guard isDir.boolValue else {
            var dataset = Dataset(source: path, adapterID: id, train: try images(path).prefix(options.limit))
            dataset.files = [path]
            return dataset
        }
        guard let trainPath = find(path, "train", "images-idx3-ubyte") else {
            throw VAEPipeError.badFile(path: path, reason: "no train-images-idx3-ubyte[.gz] in this directory")
        }
        var train = try images(trainPath, labels: find(path, "train", "labels-idx1-ubyte"))
        train = train.prefix(options.limit)
        let test = try find(path, "t10k", "images-idx3-ubyte").map { try images($0, labels: find(path, "t10k", "labels-idx1-ubyte")) }
        if let test, test.shape != train.shape {
            throw VAEPipeError.badFile(path: path, reason: "train images are \(train.shape) but test images are \(test.shape)")
        }
        var dataset = Dataset(source: path, adapterID: id, train: train, test: test)
        dataset.files = [trainPath, find(path, "train", "labels-idx1-ubyte"), find(path, "t10k", "images-idx3-ubyte"),
                         find(path, "t10k", "labels-idx1-ubyte")].compactMap { $0 }
        return dataset
    }

    static func find(_ dir: String, _ split: String, _ kind: String) -> String? {
        for ext in [".gz", ""] {
            let p = (dir as NSString).appendingPathComponent("\(split)-\(kind)\(ext)")
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }

    static func images(_ path: String, labels labelPath: String? = nil) throws -> ImageSet {
        let file = try IDXFile.read(path: path)
        let d = file.dimensions
        let shape: ImageShape
        switch d.count {
        case 3: shape = ImageShape(height: d[1], width: d[2], channels: 1)
        case 4 where (1...4).contains(d[3]): shape = ImageShape(height: d[1], width: d[2], channels: d[3])
        default:
            throw VAEPipeError.badFile(path: path, reason: "IDX dimensions \(d) are not images (expected N x H x W or N x H x W x C)")
        }
        guard d[0] > 0, shape.count > 0 else { throw VAEPipeError.badFile(path: path, reason: "holds no images (dimensions \(d))") }
        var labels: [Int]?
        if let labelPath {
            let l = try IDXFile.read(path: labelPath)
            guard l.dimensions == [d[0]] else {
                throw VAEPipeError.badFile(path: labelPath, reason: "has \(l.dimensions) labels for \(d[0]) images")
            }
            labels = l.bytes.map(Int.init)
        }
        return ImageSet(shape: shape, pixels: file.bytes, labels: labels)
    }
}
