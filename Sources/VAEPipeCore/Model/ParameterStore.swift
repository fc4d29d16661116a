/// Every learned number of a model in one flat buffer, with a gradient buffer of the same
/// layout, so Adam is a single loop and a checkpoint is a list of named views (llm.c's layout).
public final class ParameterStore {
    public let specs: [ParameterSpec]
    public let offsets: [Int]
    public let values: FloatBuffer
    public let gradients: FloatBuffer
    /// True while `gradients` holds only zeros: Adam clears each gradient as it consumes it, so
    /// the next step need not sweep the buffer again.
    public var gradientsAreZero = true

    public init(specs: [ParameterSpec]) {
        self.specs = specs
        var offsets: [Int] = []
        var total = 0
        for s in specs { offsets.append(total); total += s.count }
        self.offsets = offsets
        values = FloatBuffer(count: total)
        gradients = FloatBuffer(count: total)
    }

    public var count: Int { values.count }

    public func index(of name: String) -> Int? { specs.firstIndex { $0.name == name } }

    /// The values of one named tensor (a view into the flat buffer).
    public func values(of name: String) -> UnsafeMutableBufferPointer<Float>? {
        guard let i = index(of: name) else { return nil }
        return .init(start: values.pointer + offsets[i], count: specs[i].count)
    }
}
