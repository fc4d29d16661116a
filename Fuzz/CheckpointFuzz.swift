// libFuzzer target: the safetensors checkpoint reader (header, metadata, configuration, tensor
// table) on arbitrary bytes. Any input may be refused with an error; none may crash, hang, leak
// or touch memory it does not own. Built and run by Fuzz/run.sh.
import Foundation
import VAEPipeCore

@_cdecl("LLVMFuzzerTestOneInput")
public func checkpointFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? Checkpoint.decode(Data(bytes: data, count: size), path: "fuzz.safetensors")
    return 0
}
