/// Everything needed to rebuild a model without its data; stored in every checkpoint.
public struct ModelConfig: Codable, Sendable, Equatable {
    public var architecture: String
    public var shape: ImageShape
    public var hidden: Int
    public var latent: Int
    public var head: String
    public var headOptions: HeadOptions

    public init(architecture: String = "mlp", shape: ImageShape, hidden: Int = 400, latent: Int = 20,
                head: String, headOptions: HeadOptions = HeadOptions()) {
        self.architecture = architecture; self.shape = shape; self.hidden = hidden
        self.latent = latent; self.head = head; self.headOptions = headOptions
    }

    public var inputSize: Int { shape.count }
}
