// libFuzzer target: the check a would-be plugin file passes before dlopen sees it (ELF header,
// program headers, loadable segments, dynamic section, the tables it names, relocations), on
// arbitrary bytes. Any input may be refused; none may crash, hang or read outside the bytes.
// Built and run by Fuzz/run.sh.
import VAEPipeCore

@_cdecl("LLVMFuzzerTestOneInput")
public func pluginFileFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = SharedObjectCheck.problem(in: Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
