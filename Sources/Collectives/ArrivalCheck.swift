/// What the step watchdog decides, apart from its threads and its clock, so
/// tests drive it with the times they choose.
///
/// Once this rank has been in step N longer than `timeout`, a rank is named
/// when it is
/// - silent: its slot on the board has not changed for `timeout` seconds of
///   this rank's clock. A live watchdog raises its heartbeat every tick, so
///   silence means a stopped process or a stuck file system. Silence is
///   measured between this rank's own reads, so a reader that was itself
///   descheduled sees the beats it missed as a change, never as silence;
/// - behind: in an earlier step than the furthest rank (this rank too: when
///   the others have moved on, this rank is the one that did not arrive).
/// When no rank is silent or behind, every rank is alive in the step and none
/// finishes it; after a second `timeout`, enough for a rank that stopped
/// late in the step to fall silent, every rank is named.
public struct ArrivalCheck {
    public let rank: Int
    public let timeout: Double
    /// The step this rank is in, and when it began (this rank's clock).
    public private(set) var step: Int
    private var stepStart: Double
    private var seen: [ProgressSlot]
    private var changedAt: [Double]

    /// `step`: the step this rank is in before the first `begin` (the last finished one).
    public init(rank: Int, size: Int, timeout: Double, step: Int, now: Double) {
        self.rank = rank
        self.timeout = timeout
        self.step = step
        stepStart = now
        seen = Array(repeating: .empty, count: size)
        changedAt = Array(repeating: now, count: size)
    }

    /// This rank began `step` at `now` (the loop's pet, at each step boundary).
    public mutating func begin(step: Int, at now: Double) {
        self.step = step
        stepStart = now
    }

    /// The board as read at `time`.
    public mutating func observe(_ board: [ProgressSlot], at time: Double) {
        for p in board.indices where p < seen.count && board[p] != seen[p] {
            seen[p] = board[p]
            changedAt[p] = time
        }
    }

    /// The ranks that did not arrive, or nil while the step is within its time
    /// (or late, but a rank may still fall silent and be named).
    public func verdict(at now: Double) -> StepTimeout? {
        let elapsed = now - stepStart
        guard elapsed > timeout else { return nil }
        let steps = seen.indices.map { $0 == rank ? step : Int(seen[$0].step) }
        let front = steps.max() ?? step
        var named: [(rank: Int, reason: StepTimeout.Reason)] = []
        for p in steps.indices {
            let quiet = now - changedAt[p]
            if p != rank && quiet > timeout {
                named.append((p, .silent(seconds: quiet)))
            } else if steps[p] < front {
                named.append((p, .behind(step: steps[p])))
            }
        }
        if named.isEmpty && elapsed > 2 * timeout {
            named = steps.indices.map { ($0, .noneFinished) }
        }
        return named.isEmpty ? nil : StepTimeout(step: front, ranks: named, timeout: timeout)
    }
}
