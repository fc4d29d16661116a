import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

/// `Evaluator.reconstructionPSNR`: each example against the decoder's mean at its posterior mean.
final class ReconstructionPSNRTests: XCTestCase {
    func testPSNRIsTheMeanOverExamplesOfTheirOwnPSNR() throws {
        let shape = ImageShape(height: 3, width: 3, channels: 1)
        // Capacity 2 for 5 examples: batches of 2, 2 and 1 must each be scored in full.
        let model = VAE(config: ModelConfig(shape: shape, hidden: 5, latent: 2, head: "gaussian"),
                        head: try GaussianHead(options: HeadOptions()), capacity: 2)
        model.initialize(seed: 7)
        let pixels: [UInt8] = (0..<45).map { UInt8(($0 * 37) % 256) }
        let set = ImageSet(shape: shape, pixels: pixels)
        let means = try Evaluator.posteriorMeans(model, on: set, count: 5)
        let decoded = Evaluator.decodeMeans(model, latents: means)
        var expected = 0.0
        for r in 0..<5 {
            var mse = 0.0
            for i in 0..<9 { let e = Double(pixels[r * 9 + i]) / 255 - Double(decoded[r * 9 + i]); mse += e * e / 9 }
            expected += 10 * log10(1 / mse) / 5
        }
        XCTAssertEqual(try Evaluator.reconstructionPSNR(model, on: set), expected, accuracy: 1e-4)
        XCTAssertGreaterThan(expected, 0)
    }
}
