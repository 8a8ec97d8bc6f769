import Foundation

extension StepWatchdog {
    /// The watchdog of a job on `comm`, started at `point`: on a timeout this
    /// rank says which ranks did not arrive ("strata: rank R: ...", one line)
    /// and ends the whole job with exit 3 (`StepTimeout.exitCode`). A rank that
    /// stopped responding blocks the others inside a collective, which no
    /// error can leave, so aborting is the only way out. Collective: every
    /// rank makes the progress board (in `directory`, the run folder, when
    /// ranks are processes).
    public static func ending(job comm: Communicator, timeout: Double, directory: String?, unit: WatchUnit,
                              at point: WatchPoint, silenceOnly: [Int]? = nil) throws -> StepWatchdog {
        let board = try comm.makeProgressBoard(directory: directory)
        let watchdog = StepWatchdog(rank: comm.rank, size: comm.size, timeout: timeout, at: point, board: board, unit: unit,
                                    silenceOnly: silenceOnly) { verdict in
            FileHandle.standardError.write("strata: rank \(comm.rank): \(verdict)\n".data(using: .utf8)!)
            comm.abort(code: StepTimeout.exitCode)
        }
        watchdog.start()
        return watchdog
    }
}
