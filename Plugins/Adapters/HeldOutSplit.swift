import VAEPipeCore

/// Which images of a folder are held out for testing: those whose path below the folder hashes
/// under the fraction. A file's side depends on its own name only, not on the worker count, the
/// walk order, `--limit` or which other files are present: adding images never moves old ones.
enum HeldOutSplit {
    /// FNV-1a over the UTF-8 bytes, then SplitMix64's finaliser so that near-identical names
    /// (img_001, img_002) land far apart.
    static func unitHash(_ relativePath: String) -> Double {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in relativePath.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        h = (h ^ (h >> 30)) &* 0xbf58_476d_1ce4_e5b9
        h = (h ^ (h >> 27)) &* 0x94d0_49bb_1331_11eb
        h ^= h >> 31
        return Double(h >> 11) / Double(UInt64(1) << 53)
    }

    static func isHeldOut(_ path: String, root: String, fraction: Double) -> Bool {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        let relative = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
        return unitHash(relative) < fraction
    }

    /// `dataset.train` (whose images are `paths`, in order) split in two; a note says how.
    static func apply(to dataset: inout Dataset, paths: [String], root: String, fraction requested: Double?) {
        let fraction = requested ?? (paths.count >= DatasetOptions.testSplitMinimum ? DatasetOptions.defaultTestFraction : 0)
        guard fraction > 0 else { return }
        var train: [Int] = [], test: [Int] = []
        for (i, p) in paths.enumerated() {
            if isHeldOut(p, root: root, fraction: fraction) { test.append(i) } else { train.append(i) }
        }
        guard !train.isEmpty, !test.isEmpty else {
            dataset.notes.append("no test split: --test-fraction \(fraction) of \(paths.count) images leaves one side empty")
            return
        }
        let all = dataset.train
        dataset.train = all.picking(train)
        dataset.test = all.picking(test)
        dataset.notes.append("held out \(test.count) images (--test-fraction \(fraction), chosen by file path) as the test split")
    }
}
