// libFuzzer target: a run directory's run.json as `vaepipe train --resume DIR` reads it, through
// the CLI's own code: RunInfo.read, then its recorded arguments parsed and validated by the
// Train command (Train.resuming), then turned into the adapters' options. The input is the
// file, written to a scratch run directory per execution. Any input may be refused; none may
// crash, hang, leak or touch memory it does not own. Built and run by Fuzz/run.sh runjson.
//
// metrics.jsonl has no reader to fuzz: the CLI only writes it (rebuilt from the checkpoint).
import ArgumentParser
@testable import VAEPipeKit

/// `train --resume DIR` as typed: what resuming keeps from this invocation. Parsed once (a parse
/// is most of an execution's time); only read afterwards, on libFuzzer's one thread.
nonisolated(unsafe) let given = try! Train.parse(["--resume", ScratchDirectory.root + "/run"])

@_cdecl("LLVMFuzzerTestOneInput")
public func runJSONFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let dir = ScratchDirectory.fresh("run")
    ScratchDirectory.write(UnsafeBufferPointer(start: data, count: size), to: dir, as: RunInfo.fileName)
    guard let command = try? Train.resuming(dir, given: given) else { return 0 }
    _ = command.dataOptions.datasetOptions()
    return 0
}
