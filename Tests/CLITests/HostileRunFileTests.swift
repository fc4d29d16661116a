import Foundation
import VAEPipeTestSupport
import XCTest

/// run.json files the fuzzer found (Fuzz/corpus/runjson): each gets one line and exit 1, never a
/// trap or a leak.
final class HostileRunFileTests: CLITestCase {
    func resume(_ runJSON: String) throws -> Result {
        let dir = Fixtures.temporaryDirectory()
        try runJSON.write(toFile: dir + "/run.json", atomically: true, encoding: .utf8)
        return try run(["train", "--resume", dir])
    }

    func testAHugeCacheLimitIsAnErrorNotATrap() throws {
        for limit in ["1e300", "inf", "5129223372036854775807MB"] {
            let r = try resume(#"{"arguments": ["--data", "d", "--out", "o", "--cache-limit", "\#(limit)"]}"#)
            XCTAssertEqual(r.status, 1, "\(limit): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("no longer parse") && r.stderr.contains("cache-limit"), r.stderr)
            let typed = try run(["train", "--data", "d", "--out", "o", "--cache-limit", limit])
            XCTAssertEqual(typed.status, 64, "\(limit) typed: \(typed.stderr)")
        }
    }

    func testAnEmptyRunFileIsRefused() throws {
        let r = try resume("")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("run.json: not a vaepipe run description"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }
}
