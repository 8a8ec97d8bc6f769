/// What the watchdog decides, apart from its threads and its clock, so tests
/// drive it with the times they choose.
///
/// Positions are `WatchPoint` marks: a step, or a phase such as a checkpoint
/// or an evaluation, rising in the order every rank goes through them. Once
/// this rank has been at mark M longer than `timeout`, a rank is named when it is
/// - silent: its slot on the board has not changed for `timeout` seconds of
///   this rank's clock. A live watchdog raises its heartbeat every tick, so
///   silence means a stopped process or a stuck file system. Silence is
///   measured between this rank's own reads, so a reader that was itself
///   descheduled sees the beats it missed as a change, never as silence;
/// - behind: at an earlier mark than the furthest rank (this rank too: when
///   the others have moved on, this rank is the one that did not arrive).
/// When some rank is silent, only the silent are named: a rank behind it is
/// most likely blocked on it (a collective relayed through the stopped rank);
/// while one has been quiet for over half a timeout, no rank is named behind.
/// When no rank is silent or behind, every rank is alive at the mark and none
/// finishes it; after a second `timeout`, enough for a rank that stopped
/// late in the step to fall silent, every rank is named.
///
/// A rank that was itself stopped (`resumed`) judges nobody for a while: the
/// others saw it silent and, most likely, are ending the job over it; their
/// slots, frozen while it was stopped or since they ended, say nothing about them.
public struct ArrivalCheck {
    public let rank: Int
    public let timeout: Double
    /// The mark this rank is at, and when it got there (this rank's clock).
    public private(set) var mark: Int
    private var markStart: Double
    private var seen: [ProgressSlot]
    private var changedAt: [Double]
    /// When set, a liveness watch: only these ranks are judged, and only for
    /// silence, whatever the marks (`WorkGroups.watchCoordinator`: workers
    /// wait on the coordinator for as long as the other groups take, which
    /// no mark bounds).
    public var silenceOnly: [Int]?

    /// `mark`: where this rank is before the first `begin` (the last finished step's).
    public init(rank: Int, size: Int, timeout: Double, mark: Int, now: Double) {
        self.rank = rank
        self.timeout = timeout
        self.mark = mark
        markStart = now
        seen = Array(repeating: .empty, count: size)
        changedAt = Array(repeating: now, count: size)
    }

    /// This rank reached `mark` at `now` (the loop's pet, at each step and phase).
    public mutating func begin(mark: Int, at now: Double) {
        self.mark = mark
        markStart = now
    }

    /// The board as read at `time`.
    public mutating func observe(_ board: [ProgressSlot], at time: Double) {
        for p in board.indices where p < seen.count && board[p] != seen[p] {
            seen[p] = board[p]
            changedAt[p] = time
        }
    }

    /// This rank's own threads did not run until `now` for longer than the
    /// watchdog's ticks allow: its process was stopped (SIGSTOP) or starved.
    /// What it last read of the others is stale, and if it was stopped for a
    /// timeout they have named it and are ending the job (the job's end
    /// continues a stopped rank before killing it). So it gives them one more
    /// timeout of grace before its own clock starts again: a verdict from it
    /// comes no sooner than two timeouts after `now`, and a healthy job that
    /// was paused as a whole (every rank beats again) is never named at all.
    public mutating func resumed(at now: Double) {
        markStart = max(markStart, now + timeout)
        for p in changedAt.indices { changedAt[p] = max(changedAt[p], now + timeout) }
    }

    /// The ranks that did not arrive, or nil while this mark is within its time
    /// (or late, but a rank may still fall silent and be named).
    public func verdict(at now: Double) -> StepTimeout? {
        if let watched = silenceOnly {
            let named = watched.filter { $0 != rank && $0 < changedAt.count && now - changedAt[$0] > timeout }
                .map { (rank: $0, reason: StepTimeout.Reason.silent(seconds: now - changedAt[$0])) }
            return named.isEmpty ? nil : StepTimeout(at: WatchPoint(mark: mark), ranks: named, timeout: timeout, liveness: true)
        }
        let elapsed = now - markStart
        guard elapsed > timeout else { return nil }
        let marks = seen.indices.map { $0 == rank ? mark : Int(seen[$0].mark) }
        let front = marks.max() ?? mark
        var named: [(rank: Int, reason: StepTimeout.Reason)] = []
        for p in marks.indices where p != rank && now - changedAt[p] > timeout {
            named.append((p, .silent(seconds: now - changedAt[p])))
        }
        // A rank behind while another is silent is most likely waiting on it
        // (a broadcast relayed through the stopped rank): only the silent are
        // named. One quiet for over half a timeout may be falling silent (its
        // last mark on the board is a tick old, its beats stopped): it is
        // named as that, not as behind, once its silence is a whole timeout.
        let fading = marks.indices.contains { $0 != rank && now - changedAt[$0] > timeout / 2 }
        if named.isEmpty && !fading {
            for p in marks.indices where marks[p] < front { named.append((p, .behind(WatchPoint(mark: marks[p])))) }
        }
        if named.isEmpty && elapsed > 2 * timeout {
            named = marks.indices.map { ($0, .noneFinished) }
        }
        return named.isEmpty ? nil : StepTimeout(at: WatchPoint(mark: front), ranks: named, timeout: timeout)
    }
}
