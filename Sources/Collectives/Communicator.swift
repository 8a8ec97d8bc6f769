/// A group of ranks that exchange data. Every call is collective over the group
/// unless it says otherwise (send, receive), and every call records in the
/// ledger under the phase the caller names.
///
/// Two implementations: `MPICommunicator` (CollectivesMPI) for real runs, and
/// `LocalCommunicator`, N ranks as threads of one process, for fast tests. The
/// typed methods in `Communicator+Typed.swift` do the ledger work once for
/// both; implementations only supply the raw primitives below, counts in
/// elements of `kind`.
public protocol Communicator: AnyObject {
    /// This rank within the communicator.
    var rank: Int { get }
    var size: Int { get }
    /// The world rank of each rank of this communicator (identity for the world).
    var worldRanks: [Int] { get }
    /// Shared by every communicator split off the same world.
    var ledger: CommLedger { get }

    func rawBarrier()
    func rawBroadcast(_ buffer: UnsafeMutableRawPointer?, count: Int, kind: ScalarKind, root: Int)
    func rawAllreduce(_ buffer: UnsafeMutableRawPointer?, count: Int, kind: ScalarKind, op: ReduceOp)
    func rawAlltoall(send: UnsafeRawPointer?, recv: UnsafeMutableRawPointer?, countPerPeer: Int, kind: ScalarKind)
    func rawAlltoallv(send: UnsafeRawPointer?, recv: UnsafeMutableRawPointer?,
                      layout: AlltoallvLayout, kind: ScalarKind)
    /// Starts an all-to-all-v into `request`; the buffers and the layout must
    /// stay alive and unmoved until `rawWait`.
    func rawStartAlltoallv(send: UnsafeRawPointer?, recv: UnsafeMutableRawPointer?,
                           layout: AlltoallvLayout, kind: ScalarKind, request: CommRequest)
    /// Starts an in-place allreduce into `request`; `buffer` must stay alive
    /// and untouched until `rawWait`.
    func rawStartAllreduce(_ buffer: UnsafeMutableRawPointer?, count: Int, kind: ScalarKind, op: ReduceOp, request: CommRequest)
    func rawWait(_ request: CommRequest)
    /// Every rank contributes `count` elements; rank p's land at `recvDispls[p]`.
    func rawAllgatherv(send: UnsafeRawPointer?, count: Int, recv: UnsafeMutableRawPointer?,
                       recvCounts: UnsafePointer<Int32>, recvDispls: UnsafePointer<Int32>, kind: ScalarKind)
    func rawSend(_ buffer: UnsafeRawPointer?, count: Int, kind: ScalarKind, to dest: Int, tag: Int)
    func rawReceive(_ buffer: UnsafeMutableRawPointer?, count: Int, kind: ScalarKind, from source: Int, tag: Int)
    /// Blocks until a message with `tag` is ready; returns its source and element count.
    func rawProbe(from source: Int?, tag: Int, kind: ScalarKind) -> (source: Int, count: Int)
    /// `rawProbe` that gives up after `seconds` (nil: no message by then).
    func rawProbe(from source: Int?, tag: Int, kind: ScalarKind, waitingAtMost seconds: Double) -> (source: Int, count: Int)?

    /// Splits into groups by `color` (ranks ordered by `key`, then rank); a
    /// negative color returns nil for that rank. Collective over this communicator.
    func split(color: Int, key: Int) -> Communicator?

    /// A progress board over this communicator's ranks for the step watchdog,
    /// every slot empty. Collective: every rank calls it once per run.
    /// `directory` is where ranks that are processes meet (the run folder);
    /// ranks that are threads share memory and ignore it.
    func makeProgressBoard(directory: String?) throws -> ProgressBoard

    /// Ends the whole job (every rank of the world) with `code`. Callable from
    /// any thread: the step watchdog calls it while this rank's training
    /// thread is blocked in a collective.
    func abort(code: Int32) -> Never
}

/// A non-blocking exchange in flight; `Communicator.wait` completes it.
/// Owned by the caller and reused step after step, so starting an exchange
/// allocates nothing.
public final class CommRequest {
    public internal(set) var phase: CommPhase = .control
    public internal(set) var started = 0.0
    /// Implementation handle (an MPI_Request's bits; unused locally).
    public var handle: UnsafeMutableRawPointer?
    public internal(set) var inFlight = false

    public init() {}
}
