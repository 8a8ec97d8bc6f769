import Collectives
import Foundation

extension TrainingRun {
    /// The watchdog when `run.step_timeout_seconds` is set (nil: off); it
    /// bounds each step and each phase after one (checkpoint, evaluation,
    /// the final report and summary). Collective (the progress board is made
    /// on every rank). On a timeout
    /// this rank says which ranks did not arrive and ends the whole job with
    /// exit 3: a rank that stopped responding blocks the others inside a
    /// collective, which no error can leave, so aborting is the only way out.
    func startWatchdog(step: Int) throws -> StepWatchdog? {
        let timeout = trainer.config.run.stepTimeoutSeconds
        guard timeout > 0 else { return nil }
        let comm = trainer.comm
        let board = try comm.makeProgressBoard(directory: runDirectory)
        let watchdog = StepWatchdog(rank: comm.rank, size: comm.size, timeout: timeout, at: WatchPoint(step: step), board: board) { verdict in
            FileHandle.standardError.write("strata: rank \(comm.rank): \(verdict)\n".data(using: .utf8)!)
            comm.abort(code: StepTimeout.exitCode)
        }
        watchdog.start()
        progress?("strata: step watchdog on: \(String(format: "%g", timeout)) s per step, checkpoint and evaluation (run.step_timeout_seconds)")
        return watchdog
    }
}
