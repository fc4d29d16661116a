import ArgumentParser
import Foundation
import VAEPipeCore

enum LogFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

/// Everything `train` tells the user. On a terminal: a live progress bar redrawn in place;
/// otherwise (CI, pipes, files) one plain line per epoch; `--log-format json` prints one JSON
/// object per line instead; `--quiet` prints nothing but errors.
final class Console {
    let format: LogFormat
    let quiet: Bool
    private let live: Bool
    private var lastDraw: UInt64 = 0
    private var barShown = false

    /// `progressBar`: false where a terminal on stdout does not mean a person watching it (the
    /// ranks of an MPI job write to mpirun's pseudo-terminals, which end in log files).
    init(format: LogFormat, quiet: Bool, progressBar: Bool = true) {
        self.format = format
        self.quiet = quiet
        live = progressBar && !quiet && format == .text && isatty(STDOUT_FILENO) != 0
    }

    /// A message for people (text) or an event for programs (json).
    func info(_ text: String, event: String, _ fields: [String: Any] = [:]) {
        guard !quiet else { return }
        clearBar()
        switch format {
        case .text: print(text)
        case .json: emit(["event": event, "message": text].merging(fields) { a, _ in a })
        }
        fflush(nil)
    }

    /// `objective`: what training minimises, named in the line when it is not the negative ELBO.
    func epoch(_ r: EpochReport, of epochs: Int, objective: Objective = Objective()) {
        guard !quiet else { return }
        clearBar()
        switch format {
        case .text:
            var line = String(format: "epoch %d/%d  train loss %.2f (rec %.2f, kl %.2f)", r.epoch, epochs,
                              r.trainLoss, r.trainReconstruction, r.trainKL)
            if let o = r.trainObjective {
                line = String(format: "epoch %d/%d  train %@ %.2f, neg-ELBO %.2f (rec %.2f, kl %.2f)", r.epoch, epochs,
                              objective.name, o, r.trainLoss, r.trainReconstruction, r.trainKL)
            }
            if let t = r.testNegELBO { line += String(format: "  test neg-ELBO %.2f", t) }
            if let b = r.testBitsPerDim, let a = r.activeUnits {
                line += String(format: " (%.3f bits/dim, ", b) + (r.testPSNR.map { String(format: "PSNR %.2f dB, ", $0) } ?? "")
                    + "\(a) active units)"
            }
            if let g = r.testKLGroups { line += "  kl by group " + g.map { String(format: "%.1f", $0) }.joined(separator: " ") }
            if let a = r.activeUnitsGroups { line += " (active " + a.map(String.init).joined(separator: " ") + ")" }
            line += String(format: "  %.1fs  %.0f ex/s", r.seconds, r.examplesPerSecond)
            print(line)
        case .json:
            var fields = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(r))) as? [String: Any] ?? [:]
            fields["event"] = "epoch"; fields["epochs"] = epochs
            emit(fields)
        }
        fflush(nil)
    }

    /// Redraws the bar at most ten times a second; a no-op off a terminal.
    func step(_ p: StepProgress, of epochs: Int) {
        guard live else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDraw > 100_000_000 || p.step == p.stepsPerEpoch else { return }
        lastDraw = now
        let width = 24, done = width * p.step / max(p.stepsPerEpoch, 1)
        let bar = String(repeating: "#", count: done) + String(repeating: ".", count: width - done)
        let rate = Double(p.examples) / max(p.seconds, 1e-9)
        let left = p.seconds / Double(max(p.step, 1)) * Double(p.stepsPerEpoch - p.step)
        let line = String(format: "epoch %d/%d [%@] %d/%d  loss %.2f  %.0f ex/s  ETA %@",
                          p.epoch, epochs, bar, p.step, p.stepsPerEpoch, p.meanLoss, rate, Self.clock(left))
        FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + line).utf8))
        barShown = true
    }

    private func clearBar() {
        guard barShown else { return }
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
        barShown = false
    }

    private func emit(_ fields: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        print(String(decoding: data, as: UTF8.self))
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
            : String(format: "%d:%02d", s / 60, s % 60)
    }
}
