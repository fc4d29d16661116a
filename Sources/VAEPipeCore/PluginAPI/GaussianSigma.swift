import Foundation

/// Where the gaussian head's sigma comes from (`train --sigma`).
public enum GaussianSigma: Sendable, Equatable {
    /// One learned log sigma shared by every value (the head's first and default mode).
    case learned
    /// The analytic optimal shared sigma of each training batch (sigma-VAE, Rybkin et al. 2021).
    case optimal
    /// A learned log sigma per pixel and channel.
    case pixel
    /// A fixed sigma: 1 is the "MSE" VAE of most tutorials.
    case fixed(Float)

    /// The smallest sigma the head uses, fixed or optimal. Near the spread of 8-bit rounding
    /// itself (1/255/sqrt(12) = 1.1e-3): a narrower density would be paid for precision the data
    /// does not have, its NLL runs off to minus infinity on a perfectly fitted batch, and the
    /// gradients, which scale as 1/sigma^2, stay below 1e6 in Float.
    public static let floor: Float = 1e-3

    /// "learned", "optimal", "pixel", or a number for a fixed sigma; nil for anything else.
    public init?(_ text: String) {
        switch text {
        case "learned": self = .learned
        case "optimal": self = .optimal
        case "pixel": self = .pixel
        default:
            guard let value = Float(text) else { return nil }
            self = .fixed(value)
        }
    }

    /// Why this mode cannot be used, or nil.
    public var problem: String? {
        guard case .fixed(let s) = self, !(s >= Self.floor && s.isFinite) else { return nil }
        return "--sigma must be learned, optimal, pixel or a fixed sigma of at least \(Self.floor), not \(s)"
    }
}

extension GaussianSigma: CustomStringConvertible {
    public var description: String {
        switch self {
        case .learned: return "learned"
        case .optimal: return "optimal"
        case .pixel: return "pixel"
        case .fixed(let s): return "\(s)"
        }
    }
}

/// In a checkpoint's configuration: "learned", "optimal", "pixel" or a number.
extension GaussianSigma: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let value = try? c.decode(Float.self) { self = .fixed(value); return }
        let text = try c.decode(String.self)
        switch GaussianSigma(text) {
        case .learned?: self = .learned
        case .optimal?: self = .optimal
        case .pixel?: self = .pixel
        default: throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown sigma mode '\(text)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if case .fixed(let s) = self { try c.encode(s) } else { try c.encode(description) }
    }
}
