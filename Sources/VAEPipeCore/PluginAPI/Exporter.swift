/// An 8-bit picture built in memory (interleaved, row-major); written to PNG by the exporters.
public struct GridImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels
    }
}

/// What a gallery may draw from: the model, some inputs, and how many tiles.
public struct ExportRequest {
    public var model: VAE
    /// Inputs to reconstruct or to anchor a traversal (nil: the exporter uses what the checkpoint remembers).
    public var inputs: ImageSet?
    public var count: Int
    public var steps: Int
    public var seed: UInt64
    /// Average KL per latent dimension, remembered from training (orders traversal rows).
    public var klPerDimension: [Float]?
    /// A posterior mean remembered from training, the anchor of traversals without inputs.
    public var traversalBase: [Float]?
    /// Samples from the prior scaled by this (1: the prior itself).
    public var temperature: Float = 1
    /// Tiles drawn one pixel per image pixel, instead of enlarged to a size a person can see.
    public var nativeSize = false
    /// The dataset's class names, by label (empty: labels are shown as numbers).
    public var classNames: [String] = []
    public init(model: VAE, inputs: ImageSet? = nil, count: Int = 64, steps: Int = 9, seed: UInt64 = 1,
                klPerDimension: [Float]? = nil, traversalBase: [Float]? = nil) {
        self.model = model; self.inputs = inputs; self.count = count; self.steps = steps; self.seed = seed
        self.klPerDimension = klPerDimension; self.traversalBase = traversalBase
    }
}

extension ExportRequest {
    /// The inputs of a gallery drawn from data, checked: at least `minimum` images, of the model's shape.
    public func inputs(for gallery: String, atLeast minimum: Int = 1) throws -> ImageSet {
        guard let inputs, inputs.count >= minimum else {
            throw VAEPipeError.invalidOption("\(gallery) need \(minimum == 1 ? "input images" : "at least \(minimum) input images") (--data)")
        }
        guard inputs.shape == model.config.shape else {
            throw VAEPipeError.invalidOption("the data's images are \(inputs.shape) but the model was trained on \(model.config.shape)")
        }
        return inputs
    }
}

/// Draws one gallery. `render` is pure (testable without files); writing is separate.
public protocol Exporter {
    static var id: String { get }
    static var summary: String { get }
    /// The file name `vaepipe train` writes into the run directory.
    static var fileName: String { get }
    /// How many tiles to draw when the user does not say (ignored where the model decides).
    static var defaultCount: Int { get }
    static func render(_ request: ExportRequest) throws -> GridImage
    /// Why this gallery cannot be drawn for a model (the manifold needs a 2-D latent), or nil
    /// when it can. `vaepipe train` skips such a gallery quietly; a gallery command says why.
    static func notApplicable(to config: ModelConfig) -> String?
}

extension Exporter {
    public static func notApplicable(to config: ModelConfig) -> String? { nil }
}

extension VAEPipeError {
    /// A gallery asked of a model it cannot be drawn for, and why.
    public static func notApplicable(_ gallery: String, _ why: String) -> VAEPipeError {
        .invalidOption("the \(gallery) gallery does not apply to this model: \(why)")
    }
}
