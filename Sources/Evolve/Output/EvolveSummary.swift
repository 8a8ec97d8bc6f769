import Foundation

/// What a run found (summary.json), on rank 0.
public struct EvolveSummary: Codable, Sendable {
    public var kernel: KernelName
    public var measure: FitnessMeasure
    public var population: Int
    public var generations: Int
    /// Distinct genomes evaluated (the fitness cache's size).
    public var evaluations: Int
    public var ranks: Int
    public var frontSize: Int
    public var heldOutPassing: Int
    /// Variants built on rank 0 (its own evaluations, minimisation, final timing).
    public var builds = 0
    public var seconds = 0.0
    /// The best held-out-valid genome as found, and after minimisation.
    public var bestEdits: Genome = []
    public var edits: [MinimisedEdit] = []
    /// Held-out inputs, side by side: median over rounds of the minimum over repetitions, summed over seeds.
    public var originalNanoseconds = Double.nan
    public var bestNanoseconds = Double.nan
    /// Naive alignment kernel only: the hand-optimised kernel's clang -O3 build, timed beside the best variant.
    public var handOptimisedNanoseconds: Double?
    public var bestNanosecondsBesideHandOptimised: Double?

    public var speedup: Double { originalNanoseconds / bestNanoseconds }

    public var line: String {
        var s = String(format: "evolve: %@: best %.0f ns vs original %.0f ns on held-out inputs (%.3fx) after %d evaluations in %.0f s; %d edit(s) after minimisation",
                       kernel.rawValue, bestNanoseconds, originalNanoseconds, speedup, evaluations, seconds, edits.count)
        if let h = handOptimisedNanoseconds, let b = bestNanosecondsBesideHandOptimised {
            s += String(format: "; hand-optimised %.0f ns (evolved naive is %.3fx of it)", h, h / b)
        }
        return s
    }
}
