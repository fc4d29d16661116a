/// Everything needed to rebuild a model without its data; stored in every checkpoint.
public struct ModelConfig: Codable, Sendable, Equatable {
    /// "mlp", "conv", "resnet" or "hvae".
    public var architecture: String
    public var shape: ImageShape
    /// Units of the dense hidden layer (mlp: the only hidden layer; conv: between convs and latent).
    public var hidden: Int
    /// Latent dimensions; hvae: latent channels per pixel of each group.
    public var latent: Int
    /// conv: channels of the first convolution, doubling at every stride-2 step.
    public var width: Int
    /// resnet, hvae: residual blocks at each resolution, in the encoder and in the decoder (nil for
    /// the other architectures, so their configurations read as before).
    public var blocks: Int?
    public var head: String
    public var headOptions: HeadOptions

    public static let architectures = ["mlp", "conv", "resnet", "hvae"]
    public static let defaultBlocks = 1
    /// Bounds that keep every size computed from a configuration (which may come from a file
    /// someone else wrote) far from overflow.
    public static let maxSide = 16_384, maxUnits = 65_536

    public init(architecture: String = "mlp", shape: ImageShape, hidden: Int = 400, latent: Int = 20,
                width: Int = 32, blocks: Int? = nil, head: String, headOptions: HeadOptions = HeadOptions()) {
        self.architecture = architecture; self.shape = shape; self.hidden = hidden; self.blocks = blocks
        self.latent = latent; self.width = width; self.head = head; self.headOptions = headOptions
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try c.decode(String.self, forKey: .architecture)
        shape = try c.decode(ImageShape.self, forKey: .shape)
        hidden = try c.decode(Int.self, forKey: .hidden)
        latent = try c.decode(Int.self, forKey: .latent)
        width = try c.decodeIfPresent(Int.self, forKey: .width) ?? 32
        blocks = try c.decodeIfPresent(Int.self, forKey: .blocks)
        head = try c.decode(String.self, forKey: .head)
        headOptions = try c.decode(HeadOptions.self, forKey: .headOptions)
    }

    public var inputSize: Int { shape.count }

    /// The conv model's working side: the image side rounded up to a power of two (at least 16).
    public var paddedSide: Int {
        var p = 16
        while p < max(shape.height, shape.width) { p *= 2 }
        return p
    }

    /// Why this configuration cannot be built, or nil when it can.
    public var problem: String? {
        guard (1...Self.maxSide).contains(shape.height), (1...Self.maxSide).contains(shape.width),
              (1...4).contains(shape.channels) else {
            return "images of \(shape) cannot be modelled (1 to 4 channels, sides 1 to \(Self.maxSide))"
        }
        guard (1...Self.maxUnits).contains(hidden), (1...Self.maxUnits).contains(latent), (1...Self.maxUnits).contains(width)
        else { return "hidden, latent and width must be 1 to \(Self.maxUnits), not \(hidden), \(latent), \(width)" }
        if let problem = headOptions.problem { return problem }
        if let d = headOptions.dimension, d != inputSize {
            return "the head is for \(d) values per example but images of \(shape) have \(inputSize)"
        }
        switch architecture {
        case "mlp": return nil
        case "conv", "resnet", "hvae":
            let a = architecture
            guard shape.height == shape.width else { return "the \(a) architecture needs square images, not \(shape)" }
            guard paddedSide <= 128 else { return "the \(a) architecture handles images up to 128x128, not \(shape)" }
            guard (paddedSide - shape.height) % 2 == 0 else {
                return "the \(a) architecture pads \(shape.height) to \(paddedSide) evenly on both sides; use an even size"
            }
            if a == "resnet" {
                guard let b = blocks, (0...16).contains(b) else { return "the resnet architecture takes 0 to 16 blocks per resolution, not \(blocks.map(String.init) ?? "none")" }
                guard width * paddedSide / 8 <= Self.maxUnits else { return "a resnet of width \(width) at \(paddedSide)x\(paddedSide) has too many channels at 4x4" }
            }
            if a == "hvae" {
                guard let b = blocks, (0...8).contains(b) else { return "the hvae architecture takes 0 to 8 blocks per resolution, not \(blocks.map(String.init) ?? "none")" }
                guard width <= 512, width >= 2 else { return "the hvae architecture takes a width of 2 to 512 channels, not \(width)" }
                guard latent <= 64 else { return "the hvae architecture takes 1 to 64 latent channels per group, not \(latent)" }
            }
            return nil
        default:
            return "unknown architecture '\(architecture)' (known: \(Self.architectures.joined(separator: ", ")))"
        }
    }
}
