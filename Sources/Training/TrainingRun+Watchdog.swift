import Collectives
import Foundation

extension TrainingRun {
    /// The watchdog when `run.step_timeout_seconds` is set (nil: off); it
    /// bounds each step and each phase after one (checkpoint, evaluation,
    /// the final report and summary). Collective (the progress board is made
    /// on every rank). On a timeout this rank says which ranks did not arrive
    /// and ends the whole job with exit 3 (`StepWatchdog.ending`).
    func startWatchdog(step: Int) throws -> StepWatchdog? {
        let timeout = trainer.config.run.stepTimeoutSeconds
        guard timeout > 0 else { return nil }
        let watchdog = try StepWatchdog.ending(job: trainer.comm, timeout: timeout, directory: runDirectory,
                                               unit: .trainingStep, at: WatchPoint(step: step))
        progress?("strata: step watchdog on: \(String(format: "%g", timeout)) s per step, checkpoint and evaluation (run.step_timeout_seconds)")
        return watchdog
    }
}
