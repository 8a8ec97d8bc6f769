import Collectives
import Foundation
import RunKit
import ScalingLaws

/// GEVO on a world of ranks: rank 0 runs the search (NSGA-II over runtime and
/// error), the other ranks evaluate the genomes of each generation (one rank
/// per worker group, through the shared `WorkGroups` coordinator); a world of
/// one evaluates on rank 0 itself.
///
/// Every random choice is made on rank 0 from `config.seed`, and results are
/// placed by their index, never by arrival, so a seeded run evaluates the same
/// genomes in the same order on 1 or 4 ranks; with a deterministic measure
/// (`static_instructions`) it also finds the same fronts.
public struct Evolution {
    public var config: EvolveConfig
    public var toolchain: Toolchain
    /// The run folder (rank 0 writes it).
    public var outDirectory: String
    /// Scratch folders for the ranks' builds (rank-<r>/ under it).
    public var workDirectory: String
    public var progress: ((String) -> Void)?

    public init(config: EvolveConfig, toolchain: Toolchain, outDirectory: String, workDirectory: String,
                progress: ((String) -> Void)?) {
        self.config = config
        self.toolchain = toolchain
        self.outDirectory = outDirectory
        self.workDirectory = workDirectory
        self.progress = progress
    }

    /// What a worker is asked to do with a genome.
    struct Job: Codable {
        var edits: Genome
        /// Evaluate on the held-out seeds with the stricter tolerance.
        var heldOut: Bool
    }

    /// Collective over `world`; the summary on rank 0, nil elsewhere.
    @discardableResult
    public func run(world: Communicator) throws -> EvolveSummary? {
        try config.validate()
        let groups = try WorkGroups(world: world, groupSize: 1, phase: .sweep)
        let workspace = try KernelWorkspace(settings: config.evaluation, toolchain: toolchain,
                                            directory: workDirectory + "/rank-\(world.rank)")
        let evaluate = { (job: Job) -> Fitness in
            job.heldOut ? workspace.evaluate(job.edits, seeds: config.evaluation.heldOutSeeds,
                                             tolerance: heldOutTolerance)
                        : workspace.evaluate(job.edits)
        }
        guard groups.isCoordinator else {
            try groups.serve { (job: Job, _, _) in evaluate(job) }
            return nil
        }
        defer { groups.stop() }
        var search = Search(config: config, workspace: workspace, groups: groups, local: evaluate,
                            out: try RunFolder.evolve(outDirectory), heldOutTolerance: heldOutTolerance,
                            progress: progress)
        return try search.run()
    }

    /// Exact for integer outputs (alignment scores), else the configured held-out tolerance.
    var heldOutTolerance: Double {
        config.evaluation.kernel.source.integerOutputs ? 0 : config.evaluation.heldOutTolerance
    }
}
