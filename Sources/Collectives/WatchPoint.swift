/// Where a run is, as the watchdog sees it: a training step, or a phase of
/// collective work between or after steps (a checkpoint, an evaluation, the
/// final report) that every rank goes through in the same order.
///
/// Encoded as one rising number, `mark = 8 * step + phase`, so a progress
/// board slot holds it in one Int64 and any rank can name another rank's
/// position. Within a step the phases run in their declared order, and the
/// next step's mark is above them all:
///
///     step 12 -> checkpoint after 12 -> evaluation after 12 -> step 13
///     step 40 (the last) -> final checkpoint -> final report -> final evaluation -> final summary
public struct WatchPoint: Equatable, Hashable, Sendable, CustomStringConvertible {
    public enum Phase: Int, CaseIterable, Sendable {
        case step = 0
        case checkpoint
        case evaluation
        case finalCheckpoint
        /// The communication report and the memory figures (small collectives).
        case finalReport
        case finalEvaluation
        /// The per-rank timers and memory gathered for summary.json.
        case finalSummary

        /// The name a test hook and a log line use (`final_evaluation`).
        public var token: String {
            switch self {
            case .step: return "step"
            case .checkpoint: return "checkpoint"
            case .evaluation: return "evaluation"
            case .finalCheckpoint: return "final_checkpoint"
            case .finalReport: return "final_report"
            case .finalEvaluation: return "final_evaluation"
            case .finalSummary: return "final_summary"
            }
        }
    }

    /// The step, or for a phase the last step finished before it.
    public var step: Int
    public var phase: Phase

    public init(step: Int, phase: Phase = .step) {
        self.step = step
        self.phase = phase
    }

    static let phasesPerStep = 8

    public init(mark: Int) {
        step = mark / Self.phasesPerStep
        phase = Phase(rawValue: mark % Self.phasesPerStep) ?? .step
    }

    public var mark: Int { step * Self.phasesPerStep + phase.rawValue }

    /// "step 12", "the evaluation after step 12", "the final evaluation (after step 40)".
    public var description: String { describe(.trainingStep) }

    /// The same in `unit`'s words: "round 12", "the evaluation after round 12";
    /// point 0 of a command that counts from 1 is "the start (before round 1)".
    public func describe(_ unit: WatchUnit) -> String {
        let n = unit.noun
        switch phase {
        case .step: return step == 0 && unit != .trainingStep ? "the start (before \(n) 1)" : "\(n) \(step)"
        case .checkpoint: return "the checkpoint after \(n) \(step)"
        case .evaluation: return "the evaluation after \(n) \(step)"
        case .finalCheckpoint: return "the final checkpoint (after \(n) \(step))"
        case .finalReport: return "the final communication report (after \(n) \(step))"
        case .finalEvaluation: return "the final evaluation (after \(n) \(step))"
        case .finalSummary: return "the final summary (after \(n) \(step))"
        }
    }

    /// "step:12", "evaluation:12", "final_evaluation": what `STRATA_TEST_PAUSE_AT` names.
    public var token: String { token(.trainingStep) }

    /// The same for `unit`: "round:12" (a unit's own point), "evaluation:12".
    public func token(_ unit: WatchUnit) -> String {
        switch phase {
        case .step: return "\(unit.noun):\(step)"
        case .checkpoint, .evaluation: return "\(phase.token):\(step)"
        default: return phase.token
        }
    }
}

/// What a watchdog's points count, and the key that sets its timeout: the
/// words of its line ("round 12: rank(s) 1 did not arrive within 5 s ...;
/// the watchdog (round_timeout_seconds) ends the job") and of its test hook
/// (`round:12`).
public struct WatchUnit: Equatable, Sendable {
    /// "step", "round", "phase".
    public var noun: String
    /// The key (or option) that set the timeout, named in the line.
    public var key: String
    public init(noun: String, key: String) { self.noun = noun; self.key = key }

    /// `strata train`'s steps (run.step_timeout_seconds).
    public static let trainingStep = WatchUnit(noun: "step", key: "run.step_timeout_seconds")
}
