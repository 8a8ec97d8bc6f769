import Foundation

/// One rank's line on a progress board: the step or phase it is at (begun,
/// not yet finished; a `WatchPoint.mark`) and a heartbeat count its watchdog
/// raises while the process runs. A slot never written reads as `.empty`.
public struct ProgressSlot: Equatable, Sendable {
    public var mark: Int64
    public var beat: Int64
    public init(mark: Int64, beat: Int64) { self.mark = mark; self.beat = beat }
    public static let empty = ProgressSlot(mark: 0, beat: 0)
}

/// Where the ranks of a run show each other how far they are without the
/// communicator's collectives, which a rank that stopped responding blocks.
/// Made by `Communicator.makeProgressBoard`: shared memory for ranks that are
/// threads, a file in the run folder for ranks that are processes. One
/// board object per rank; only its watchdog's heartbeat thread touches it.
public protocol ProgressBoard: AnyObject {
    /// Writes this rank's slot.
    func publish(_ slot: ProgressSlot)
    /// Every rank's slot in rank order; nil when the board cannot be read.
    func read() -> [ProgressSlot]?
}

/// The board of ranks that share one process (`LocalCommunicator`): an
/// array under a lock, one per group.
final class MemoryProgressBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [ProgressSlot]

    init(size: Int) { slots = Array(repeating: .empty, count: size) }

    func reset() { lock.lock(); for i in slots.indices { slots[i] = .empty }; lock.unlock() }
    func set(_ rank: Int, _ slot: ProgressSlot) { lock.lock(); slots[rank] = slot; lock.unlock() }
    func all() -> [ProgressSlot] { lock.lock(); defer { lock.unlock() }; return slots }

    /// One rank's view of the shared slots.
    final class View: ProgressBoard {
        let shared: MemoryProgressBoard
        let rank: Int
        init(_ shared: MemoryProgressBoard, rank: Int) { self.shared = shared; self.rank = rank }
        func publish(_ slot: ProgressSlot) { shared.set(rank, slot) }
        func read() -> [ProgressSlot]? { shared.all() }
    }
}
