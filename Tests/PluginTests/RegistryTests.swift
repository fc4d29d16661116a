import Foundation
import VAEPipeBuiltinPlugins
import VAEPipeTestSupport
import XCTest

final class RegistryTests: XCTestCase {
    let registry = BuiltinPlugins.registry()

    func testBuiltinIdsAreRegistered() throws {
        XCTAssertEqual(registry.adapters.map { $0.id }, ["idx", "images"])
        XCTAssertEqual(registry.heads.map { $0.id }, ["bernoulli", "gaussian", "cbernoulli", "logistic"])
        XCTAssertEqual(registry.exporters.map { $0.id }, ["reconstructions", "samples", "traversals", "interpolations", "manifold", "latent-map"])
        XCTAssertEqual(try registry.head("gaussian").id, "gaussian")
    }

    func testUnknownHeadListsTheKnownOnes() {
        XCTAssertThrowsError(try registry.head("poisson")) { error in
            XCTAssertEqual("\(error)", "unknown likelihood head 'poisson' (known: bernoulli, gaussian, cbernoulli, logistic)")
        }
    }

    func testSniffingPicksTheAdapter() throws {
        let idxDir = Fixtures.idxDirectory(train: 4, test: 4, side: 2)
        XCTAssertEqual(try registry.adapter(for: idxDir).id, "idx")
        XCTAssertEqual(try registry.adapter(for: idxDir + "/train-images-idx3-ubyte").id, "idx")
        XCTAssertEqual(try registry.adapter(for: Fixtures.samples + "/mixed-folder").id, "images")
    }

    func testMissingPathIsNamed() {
        XCTAssertThrowsError(try registry.adapter(for: "/nonexistent/data")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/data: no such file or directory")
        }
    }

    func testAFileNoAdapterReadsIsReported() {
        let dir = Fixtures.temporaryDirectory()
        _ = FileManager.default.createFile(atPath: dir + "/notes.txt", contents: Data("hello".utf8))
        XCTAssertThrowsError(try registry.adapter(for: dir + "/notes.txt")) { error in
            XCTAssertTrue("\(error)".contains("notes.txt: not a dataset vaepipe can read"), "\(error)")
        }
    }
}
