import Foundation

/// One rank's step watchdog (`run.step_timeout_seconds`; docs/RELIABILITY.md).
/// The training loop calls `begin(step:)` at each step boundary, a lock and
/// two stores; two threads of this rank do the rest, every tick:
/// - the heartbeat thread writes this rank's step and a rising count to the
///   progress board and reads every rank's. It alone touches the board, so a
///   board on a stuck file system stalls only the heartbeat (which the other
///   ranks then see as silence), never the check;
/// - the check thread asks `ArrivalCheck` about what was last read and, once
///   a verdict names ranks, hands it to `onTimeout`, once.
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
    /// Seconds between beats and between checks: an eighth of the timeout
    /// (silence takes a whole timeout, eight missed beats), at most 1 s.
    public let tick: Double

    public init(rank: Int, size: Int, timeout: Double, step: Int, board: ProgressBoard,
                clock: @escaping () -> Double = monotonicSeconds, onTimeout: @escaping (StepTimeout) -> Void) {
        precondition(timeout > 0, "a watchdog needs a positive timeout")
        check = ArrivalCheck(rank: rank, size: size, timeout: timeout, step: step, now: clock())
        self.board = board
        self.clock = clock
        self.onTimeout = onTimeout
        tick = min(max(timeout / 8, 0.005), 1)
    }

    /// Publishes this rank's step and starts both threads.
    public func start() {
        lock.lock(); running = true; lock.unlock()
        board.publish(ProgressSlot(step: Int64(check.step), beat: 1))
        spawn("strata-heartbeat") { [self] in
            var beat: Int64 = 1
            while isRunning {
                beat += 1
                board.publish(ProgressSlot(step: Int64(currentStep), beat: beat))
                if let slots = board.read() {
                    lock.lock(); check.observe(slots, at: clock()); lock.unlock()
                }
                Thread.sleep(forTimeInterval: tick)
            }
        }
        spawn("strata-watchdog") { [self] in
            while isRunning {
                Thread.sleep(forTimeInterval: tick)
                lock.lock()
                let verdict = running && !fired ? check.verdict(at: clock()) : nil
                if verdict != nil { fired = true; running = false }
                lock.unlock()
                if let verdict { onTimeout(verdict) }
            }
        }
    }

    /// This rank began `step` (the loop's pet).
    public func begin(step: Int) {
        let now = clock()
        lock.lock(); check.begin(step: step, at: now); lock.unlock()
    }

    /// Ends both threads within a tick (a heartbeat stuck in the file system
    /// ends when the write returns); nothing fires after it.
    public func stop() { lock.lock(); running = false; lock.unlock() }

    private var isRunning: Bool { lock.lock(); defer { lock.unlock() }; return running }
    private var currentStep: Int { lock.lock(); defer { lock.unlock() }; return check.step }

    private func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let t = Thread(block: body)
        t.name = name
        t.start()
    }
}
