import Foundation

/// One rank's watchdog (`run.step_timeout_seconds`; docs/RELIABILITY.md).
/// The run calls `begin` at each step and each phase of collective work
/// (`WatchPoint`), a lock and two stores; two threads of this rank do the rest, every tick:
/// - the heartbeat thread writes this rank's mark and a rising count to the
///   progress board and reads every rank's. It alone touches the board, so a
///   board on a stuck file system stalls only the heartbeat (which the other
///   ranks then see as silence), never the check;
/// - the check thread asks `ArrivalCheck` about what was last read and, once
///   a verdict names ranks, hands it to `onTimeout`, once. A gap of four
///   ticks (half a timeout, at most 4 s) between its own ticks means this whole process was stopped
///   (SIGSTOP) or starved: it tells the check (`ArrivalCheck.resumed`), so a
///   rank woken by the job's end does not blame the ranks that ended it.
///   Of the ranks that reach a verdict, the lowest one it does not name
///   speaks first; the others give it two more timeouts to end the job (so
///   a job of many ranks prints one line, not one per healthy rank, even
///   when the abort takes a while to reach every rank of a busy machine).
/// Neither thread calls the communicator: the collective the training thread
/// is blocked in stays untouched, and MPI stays single-threaded. The run's
/// `onTimeout` ends the job with `Communicator.abort`, allowed from any thread.
public final class StepWatchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var check: ArrivalCheck
    private var running = false
    private var fired = false
    private let board: ProgressBoard
    private let clock: () -> Double
    private let onTimeout: (StepTimeout) -> Void
    private let rank: Int
    private let size: Int
    /// What the points count and the key of the timeout, for the verdict's line.
    public let unit: WatchUnit
    /// Seconds a step or phase may take.
    public let timeout: Double
    /// Seconds between beats and between checks: an eighth of the timeout
    /// (silence takes a whole timeout, eight missed beats), at most 1 s.
    public let tick: Double

    /// `point`: where this rank is before the first `begin` (the last finished step).
    /// `silenceOnly`: a liveness watch of these ranks (`ArrivalCheck.silenceOnly`).
    public init(rank: Int, size: Int, timeout: Double, at point: WatchPoint, board: ProgressBoard, unit: WatchUnit = .trainingStep,
                silenceOnly: [Int]? = nil, clock: @escaping () -> Double = monotonicSeconds, onTimeout: @escaping (StepTimeout) -> Void) {
        precondition(timeout > 0, "a watchdog needs a positive timeout")
        self.rank = rank
        self.size = size
        self.unit = unit
        self.timeout = timeout
        check = ArrivalCheck(rank: rank, size: size, timeout: timeout, mark: point.mark, now: clock())
        check.silenceOnly = silenceOnly
        self.board = board
        self.clock = clock
        self.onTimeout = onTimeout
        tick = min(max(timeout / 8, 0.005), 1)
    }

    /// Publishes this rank's mark and starts both threads.
    public func start() {
        lock.lock(); running = true; lock.unlock()
        board.publish(ProgressSlot(mark: Int64(check.mark), beat: 1))
        spawn("strata-heartbeat") { [self] in
            var beat: Int64 = 1
            while isRunning {
                beat += 1
                board.publish(ProgressSlot(mark: Int64(currentMark), beat: beat))
                if let slots = board.read() {
                    lock.lock(); check.observe(slots, at: clock()); lock.unlock()
                }
                Thread.sleep(forTimeInterval: tick)
            }
        }
        spawn("strata-watchdog") { [self] in
            var last = clock()
            var deferredSince: Double?
            while isRunning {
                Thread.sleep(forTimeInterval: tick)
                let now = clock()
                lock.lock()
                if now - last > 4 * tick { check.resumed(at: now) }
                last = now
                var verdict = running && !fired ? check.verdict(at: clock()) : nil
                if let v = verdict, !speaksFirst(v) {
                    // Another rank speaks for this verdict; past two timeouts of waiting, this one does.
                    let since = deferredSince ?? now
                    deferredSince = since
                    if now - since <= 2 * check.timeout { verdict = nil }
                } else if verdict == nil {
                    deferredSince = nil
                }
                if verdict != nil { fired = true; running = false }
                lock.unlock()
                if var verdict { verdict.unit = unit; onTimeout(verdict) }
            }
        }
    }

    /// This rank reached `point` (the run's pet).
    public func begin(_ point: WatchPoint) {
        let now = clock()
        lock.lock(); check.begin(mark: point.mark, at: now); lock.unlock()
    }

    /// Ends both threads within a tick (a heartbeat stuck in the file system
    /// ends when the write returns); nothing fires after it.
    public func stop() { lock.lock(); running = false; lock.unlock() }

    /// Whether this rank is the lowest one `verdict` does not name (rank 0
    /// when it names every rank): the one that ends the job at once.
    private func speaksFirst(_ verdict: StepTimeout) -> Bool {
        let named = verdict.ranks.map(\.rank)
        return ((0..<size).first { !named.contains($0) } ?? 0) == rank
    }

    private var isRunning: Bool { lock.lock(); defer { lock.unlock() }; return running }
    private var currentMark: Int { lock.lock(); defer { lock.unlock() }; return check.mark }

    private func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let t = Thread(block: body)
        t.name = name
        t.start()
    }
}
