import Collectives
import Federated
import Foundation
import RunKit

/// RF^2's fairness measure. Per tier t, rho_t = (beta_t,p - beta_t,0) / beta_t,0,
/// the relative change of the tier's eval AUC under optimization p against no
/// optimization; MDAC = max over tier pairs of |rho_ti - rho_tj|.
public enum Fairness {
    public static func rho(optimized: [Double], baseline: [Double]) -> [Double] {
        precondition(optimized.count == baseline.count)
        return zip(optimized, baseline).map { ($0 - $1) / $1 }
    }

    public static func mdac(_ rho: [Double]) -> Double {
        var m = 0.0
        for i in rho.indices { for j in rho.indices where j > i { m = max(m, abs(rho[i] - rho[j])) } }
        return m
    }
}

/// One mapping's half of a fairness comparison.
public struct FairnessSide: Sendable, Codable {
    public var mapping: String
    public var tierSizes: [Int]
    public var baselineAUC: [Double]
    public var optimizedAUC: [Double]
    public var rho: [Double]
    public var mdac: Double
}

/// fairness.json of `strata fl fairness`.
public struct FairnessReport: Sendable, Codable {
    public var optimization: String
    public var source: String
    public var rounds: Int
    public var random: FairnessSide
    public var dirichlet: FairnessSide
    /// MDAC under the realistic mapping over MDAC under the random one (the paper: 15.8-41x).
    public var mdacRatio: Double
}

/// Runs the configured optimization and no optimization under both mappings
/// (four runs, the same seeds), and compares per-tier AUC.
public enum FairnessRun {
    public static func run(comm: Communicator, config: FederationConfig, tiers: TierConfig, alpha: Double, source: ClientSource,
                           directory: String?, watch: PhaseWatch? = nil, progress: (String) -> Void = { _ in }) throws -> FairnessReport? {
        if tiers.optimizations.isNone { throw OptError(key: "rf2", "fairness needs an optimization to compare (set an rf2.* key)") }
        var sides: [FairnessSide] = []
        for mapping in [TierMapping.random, .dirichlet(alpha: alpha)] {
            var auc: [[Double]] = [], sizes: [Int] = []
            for opt in [TierOptimizations(), tiers.optimizations] {
                var tc = tiers
                tc.mapping = mapping
                tc.optimizations = opt
                let name = "\(mapping.name)-\(opt.isNone ? "none" : "optimized")"
                progress("== \(name): \(opt.name)")
                let s = try TieredRun.run(comm: comm, config: config, tiers: tc, source: source,
                                          directory: directory.map { ($0 as NSString).appendingPathComponent(name) }, watch: watch,
                                          progress: progress)
                guard let s else { continue }
                sizes = s.tierSizes
                auc.append(s.tierAUC.map { $0 ?? .nan })
            }
            guard comm.rank == 0 else { continue }
            if let bad = (auc[0] + auc[1]).firstIndex(where: { !$0.isFinite }) {
                throw OptError(key: "eval.clients", "tier \(bad % TierAssignment.count) has no eval samples under \(mapping.name); raise eval.clients")
            }
            let rho = Fairness.rho(optimized: auc[1], baseline: auc[0])
            sides.append(FairnessSide(mapping: mapping.name, tierSizes: sizes, baselineAUC: auc[0], optimizedAUC: auc[1],
                                      rho: rho, mdac: Fairness.mdac(rho)))
        }
        guard comm.rank == 0 else { return nil }
        let report = FairnessReport(optimization: tiers.optimizations.name, source: source.describe, rounds: config.rounds,
                                    random: sides[0], dirichlet: sides[1],
                                    mdacRatio: sides[1].mdac / max(sides[0].mdac, 1e-12))
        if let directory {
            let folder = try RunFolder(path: directory)
            try folder.writeJSON("fairness.json", report, newline: true)
            let series = sides.map { s in Plot.Series(name: s.mapping, points: s.rho.enumerated().map { (Double($0.offset), $0.element) }) }
            try folder.writeText("fairness.svg", Plot(title: "rho per tier: \(report.optimization)", xLabel: "tier (0 low, 2 high)",
                                                          yLabel: "relative AUC change", series: series).render())
        }
        return report
    }
}
