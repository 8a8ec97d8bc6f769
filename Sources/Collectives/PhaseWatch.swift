import Foundation

/// The watchdog of a command whose collective work comes in counted units,
/// the same on every rank and in the same order: `strata fl`'s rounds,
/// `strata iae`'s and `strata distill`'s phases. Each rank calls `next` as
/// it starts the next unit (`reach` for a phase within it, such as a
/// federated evaluation); a unit that some rank does not reach within the
/// timeout ends the job naming that rank (`StepWatchdog.ending`). The count
/// rises over the whole command, so a command that runs several
/// federations one after another (fl fairness, fl gpo, FEL) still gives
/// every rank the same rising marks.
public final class PhaseWatch {
    public let unit: WatchUnit
    let rank: Int
    let watchdog: StepWatchdog
    /// The unit this rank is in (0: the start, before the first).
    public private(set) var count = 0

    init(unit: WatchUnit, rank: Int, watchdog: StepWatchdog) {
        self.unit = unit
        self.rank = rank
        self.watchdog = watchdog
    }

    /// The watch, or nil when `timeout` is 0 (off). Collective (the progress
    /// board lives in `directory`, which rank 0 creates if needed).
    public static func start(comm: Communicator, timeout: Double, directory: String?, unit: WatchUnit) throws -> PhaseWatch? {
        guard timeout > 0 else { return nil }
        let dog = try StepWatchdog.ending(job: comm, timeout: timeout, directory: directory, unit: unit, at: WatchPoint(step: 0))
        return PhaseWatch(unit: unit, rank: comm.rank, watchdog: dog)
    }

    /// This rank starts the next unit. A lock and two stores (and, for the
    /// tests' pause hook, one comparison): nothing allocated.
    public func next() {
        count += 1
        reach(WatchPoint(step: count))
    }

    /// This rank starts `phase` of the current unit.
    public func reach(_ phase: WatchPoint.Phase) { reach(WatchPoint(step: count, phase: phase)) }

    func reach(_ point: WatchPoint) {
        watchdog.begin(point)
        TestPause.check(rank: rank, at: point, unit: unit)
    }

    /// Ends the watchdog's threads; nothing fires after it. Every rank stops
    /// once its collective work is done (a stopped watchdog's rank looks
    /// silent to the others, so no collective may follow a long solo phase).
    public func stop() { watchdog.stop() }

    /// "5 s per round (round_timeout_seconds)", for the line that says the watch is on.
    public var describe: String {
        "\(String(format: "%g", watchdog.timeout)) s per \(unit.noun) (\(unit.key))"
    }
}
