import CMPIShim
import Foundation
import Synchronization
import VAEPipeBuiltinPlugins
#if canImport(Glibc)
import Glibc
#endif

/// A data-parallel job under `mpirun` (Open MPI): this process is one rank; the ranks add up
/// their gradients with MPI_Allreduce before every identical Adam step. Started only when
/// mpirun launched the process with more than one rank; otherwise vaepipe never touches MPI.
///
/// A rank that dies is noticed by Open MPI's runtime, which ends the job and names it. A rank
/// that hangs would leave the others blocked in a collective forever: a watchdog thread ends
/// the job when one collective has waited longer than VAEPIPE_MPI_TIMEOUT seconds (default
/// 120), naming this rank, the collective and the step.
final class MPIJob: Collective, @unchecked Sendable {
    let rank: Int
    let size: Int
    let timeout: Double
    /// Nanoseconds (uptime) at which the collective in progress began; 0 when none is.
    private let waitingSince = Atomic<UInt64>(0)
    /// What the collective in progress sums: its element count, negative for doubles (kept as a
    /// number, so that a step builds no string; the watchdog words it).
    private let waitingFor = Atomic<Int>(0)
    /// Which collective that is (an `Exchange`'s raw value).
    private let waitingIn = Atomic<Int>(0)
    private enum Exchange: Int {
        case allreduce, reduceScatter, allGather
        var name: String {
            switch self {
            case .allreduce: "allreduce"
            case .reduceScatter: "reduce-scatter"
            case .allGather: "all-gather"
            }
        }
    }
    /// Time this rank spent exchanging gradients and updated weights (waiting for the others
    /// included), and how many steps exchanged.
    private(set) var gradientSeconds: Double = 0
    private(set) var gradientCalls = 0

    private init(rank: Int, size: Int, timeout: Double) {
        self.rank = rank; self.size = size; self.timeout = timeout
        let watchdog = Thread { [self] in watch() }
        watchdog.name = "vaepipe.mpi.watchdog"
        watchdog.start()
    }

    /// The job this process belongs to, or nil when it runs alone.
    static func start(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MPIJob? {
        guard let n = environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init), n > 1 else { return nil }
        var rank: Int32 = 0, size: Int32 = 0
        if let message = failureMessage({ vp_mpi_init(&rank, &size, $0, $1) }) {
            throw VAEPipeError.invalidOption("MPI could not start (\(message))")
        }
        let timeout = environment["VAEPIPE_MPI_TIMEOUT"].flatMap(Double.init) ?? 120
        return MPIJob(rank: Int(rank), size: Int(size), timeout: timeout)
    }

    static var libraryVersion: String { String(cString: vp_mpi_library_version()) }

    func sum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        try timed(count, .allreduce) { vp_mpi_sum_float(buffer, count, $0, $1) }
        gradientCalls += 1
    }

    func reduceScatterPairwise(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        precondition(size & (size - 1) == 0, "pairwise sums need a power of two of ranks")
        if pairwiseScratch?.count ?? -1 < count { pairwiseScratch = FloatBuffer(count: count) }
        let scratch = pairwiseScratch!.pointer, chunk = Self.segmentLength(count: count, processes: size)
        try timed(count, .reduceScatter) { vp_mpi_reduce_scatter_pairwise_float(buffer, scratch, count, chunk, $0, $1) }
        gradientCalls += 1
    }

    func allgatherSegments(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        let chunk = Self.segmentLength(count: count, processes: size)
        try timed(count, .allGather) { vp_mpi_allgather_chunks_float(buffer, count, chunk, $0, $1) }
    }

    /// A collective over `count` floats, its time added to the gradient exchange's.
    private func timed(_ count: Int, _ kind: Exchange, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try collective(count, kind, body)
        gradientSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// What a pairwise sum receives, made at the first one.
    private var pairwiseScratch: FloatBuffer?

    func sum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {
        try collective(-count) { vp_mpi_sum_double(buffer, count, $0, $1) }
    }

    private static func describe(_ elements: Int, _ kind: Exchange) -> String {
        kind.name + " of \(abs(elements)) " + (elements < 0 ? "doubles" : "floats")
    }

    private func collective(_ elements: Int, _ kind: Exchange = .allreduce,
                            _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws {
        waitingFor.store(elements, ordering: .relaxed)
        waitingIn.store(kind.rawValue, ordering: .relaxed)
        waitingSince.store(DispatchTime.now().uptimeNanoseconds, ordering: .releasing)
        defer { waitingSince.store(0, ordering: .releasing) }
        if let message = failureMessage(body) {
            throw VAEPipeError.invalidOption("rank \(rank) of \(size): \(Self.describe(elements, kind)) failed: \(message)")
        }
    }

    private func watch() {
        while true {
            sleep(1)
            let since = waitingSince.load(ordering: .acquiring)
            guard since != 0 else { continue }
            let waited = Double(DispatchTime.now().uptimeNanoseconds - since) / 1e9
            guard waited > timeout else { continue }
            let name = Self.describe(waitingFor.load(ordering: .relaxed), Exchange(rawValue: waitingIn.load(ordering: .relaxed)) ?? .allreduce)
            let message = "Error: vaepipe rank \(rank) of \(size): the other ranks did not join the \(name) for \(Int(waited)) s "
                + "(VAEPIPE_MPI_TIMEOUT=\(Int(timeout))): a rank has died or hangs; ending the job\n"
            FileHandle.standardError.write(Data(message.utf8))
            // From this thread MPI may not be called (funneled); exiting without MPI_Finalize makes
            // mpirun end every rank.
            _exit(1)
        }
    }

    /// After the last collective, on every rank.
    func finish() { _ = vp_mpi_finalize() }

    /// Ends the whole job from this rank with one line naming it.
    func fail(_ error: Error) -> Never {
        FileHandle.standardError.write(Data("Error: vaepipe rank \(rank) of \(size): \(error)\n".utf8))
        vp_mpi_abort(1)
        exit(1)
    }

    /// Threads per rank when the user sets none: the node's cores shared by its ranks.
    static func threadsPerRank(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        guard environment["VAEPIPE_THREADS"] == nil, environment["OMP_NUM_THREADS"] == nil,
              let local = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init), local > 0 else { return nil }
        return max(1, Parallel.cores / local)
    }
}
