// Files for the targets whose readers take a path: a directory of this process's own, in
// /dev/shm when there is one (a file or two per execution, at thousands of executions a second,
// should not reach a disk), removed when libFuzzer exits normally.
import Foundation

enum ScratchDirectory {
    static let root: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let dir = (base as NSString).appendingPathComponent("vaepipe-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: ScratchDirectory.root) }
        return dir
    }()

    /// `root/name`, emptied: each execution starts from nothing the previous one left.
    static func fresh(_ name: String) -> String {
        let dir = (root as NSString).appendingPathComponent(name)
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        return dir
    }

    /// Writes `bytes` to `directory/name` and returns the file's path.
    @discardableResult
    static func write<C: Collection<UInt8>>(_ bytes: C, to directory: String, as name: String) -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            fatalError("fuzz harness: cannot write \(path)")
        }
        return path
    }
}
