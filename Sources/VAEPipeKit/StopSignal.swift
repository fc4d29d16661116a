#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Ctrl-C (SIGINT) and SIGTERM ask training to stop at the next step boundary, where the
/// position is exact and a checkpoint resumes bit for bit. A second signal quits at once:
/// checkpoints are written by rename, so the last one on disk is whole either way.
enum StopSignal {
    private static let received = Atomic<Int32>(0)

    static func install() {
        // Touch the static before any handler can: its lazy initialisation is not
        // async-signal-safe.
        _ = received.load(ordering: .relaxed)
        for s in [SIGINT, SIGTERM] {
            signal(s) { sig in
                if StopSignal.received.exchange(sig, ordering: .relaxed) != 0 { _exit(128 + sig) }
                let note = "\nstopping after this step to save a checkpoint (signal again to quit now)\n"
                note.utf8CString.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count - 1) }
            }
        }
    }

    /// The signal received (SIGINT, SIGTERM) or 0.
    static var pending: Int32 { received.load(ordering: .relaxed) }

    /// The shell's convention: 128 + signal number (130 for SIGINT, 143 for SIGTERM).
    static var exitCode: Int32 { 128 + pending }
}
