import Data
import Training

/// A model shape to profile with random weights, and how its requests look.
///
/// DeepRecSys's model zoo (Gupta et al., 2020) as Hercules uses it, with
/// DLRM's MLP notation (the first bottom width is the dense input):
///
///     RMC1  bottom 128-64-32     top 256-64-1   8 tables  x 4M   x 32, 80 lookups
///     RMC2  bottom 256-128-64    top 128-64-1   32 tables x 500k x 64, 120 lookups
///     RMC3  bottom 2560-1024-256-32 top 512-256-1 10 tables x 2M x 32, 20 lookups
///
/// Scaled here (stated in `note`): rows so each model's tables take about
/// 200 MB (this machine has 24 GiB shared by five engineers, and a request's
/// lookups land in DRAM either way: 4M rows or 200k, a table is far beyond
/// the caches), and RMC2's lookups 120 -> 20 per table so a 700-candidate
/// request stays near 3 MB of JSON (DeepRecSys generates its ids in process;
/// ours travel over HTTP). The DeepRecSys lookups are per candidate (item
/// side), as in DeepRecSys. `seq-dlrm` is Strata's own sequence DLRM with
/// target attention over the user's history.
public struct Workload: Sendable {
    public var name: String
    public var schema: DatasetSchema
    public var model: ModelConfig
    /// Ids per candidate bag in generated requests.
    public var lookups: Int
    /// History ids per generated request (user side).
    public var historyLength: Int
    public var maxHistory: Int
    public var note: String

    public static let names = ["rmc1", "rmc2", "rmc3", "seq-dlrm"]

    public init(name: String, schema: DatasetSchema, model: ModelConfig, lookups: Int, historyLength: Int, maxHistory: Int, note: String) {
        self.name = name; self.schema = schema; self.model = model; self.lookups = lookups
        self.historyLength = historyLength; self.maxHistory = maxHistory; self.note = note
    }

    public static func named(_ name: String) -> Workload? {
        switch name {
        case "rmc1":
            return zoo(name, dense: 128, bottom: [64, 32], top: [256, 64, 1], tables: 8, rows: 200_000, dim: 32, lookups: 80,
                       note: "DeepRecSys RMC1; tables 8 x 4M -> 8 x 200k rows (205 MB)")
        case "rmc2":
            return zoo(name, dense: 256, bottom: [128, 64], top: [128, 64, 1], tables: 32, rows: 25_000, dim: 64, lookups: 20,
                       note: "DeepRecSys RMC2; tables 32 x 500k -> 32 x 25k rows (205 MB); lookups 120 -> 20 per table")
        case "rmc3":
            return zoo(name, dense: 2560, bottom: [1024, 256, 32], top: [512, 256, 1], tables: 10, rows: 160_000, dim: 32, lookups: 20,
                       note: "DeepRecSys RMC3; tables 10 x 2M -> 10 x 160k rows (205 MB)")
        case "seq-dlrm":
            var model = RunConfig().model
            model.embeddingDim = 32
            model.bottom = [64, 32]
            model.top = [128, 64, 1]
            model.encoder = .targetAttention
            let tables = [TableSpec(name: "item", rows: 1_000_000), TableSpec(name: "user", rows: 200_000),
                          TableSpec(name: "c0", rows: 1_000), TableSpec(name: "c1", rows: 10_000), TableSpec(name: "c2", rows: 100_000)]
            let features = [FeatureSpec(name: "item", table: "item", kind: .pooled, userSide: false),
                            FeatureSpec(name: "c0", table: "c0", kind: .pooled, userSide: false),
                            FeatureSpec(name: "c1", table: "c1", kind: .pooled, userSide: false),
                            FeatureSpec(name: "c2", table: "c2", kind: .pooled, userSide: false),
                            FeatureSpec(name: "user", table: "user", kind: .pooled, userSide: true),
                            FeatureSpec(name: "history", table: "item", kind: .sequence, userSide: true)]
            return Workload(name: name, schema: DatasetSchema(denseCount: 13, tables: tables, features: features), model: model,
                            lookups: 1, historyLength: 100, maxHistory: 256,
                            note: "Strata's sequence DLRM: target attention over a 100-item history, D 32, 1.31M rows (168 MB)")
        default:
            return nil
        }
    }

    static func zoo(_ name: String, dense: Int, bottom: [Int], top: [Int], tables: Int, rows: Int, dim: Int, lookups: Int,
                    note: String) -> Workload {
        var model = RunConfig().model
        model.embeddingDim = dim
        model.bottom = bottom
        model.top = top
        model.encoder = .mean
        let specs = (0..<tables).map { TableSpec(name: "t\($0)", rows: rows) }
        let features = (0..<tables).map { FeatureSpec(name: "t\($0)", table: "t\($0)", kind: .pooled, userSide: false) }
        return Workload(name: name, schema: DatasetSchema(denseCount: dense, tables: specs, features: features), model: model,
                        lookups: lookups, historyLength: 0, maxHistory: 1, note: note)
    }

    /// The model with the trainer's random initialisation under `seed`.
    public func served(seed: UInt64 = 1, memoryBudgetBytes: Int) throws -> ServedModel {
        try ServedModel.random(schema: schema, model: model, seed: seed, maxHistory: maxHistory,
                               memoryBudgetBytes: memoryBudgetBytes, origin: "workload \(name) (random weights, seed \(seed))")
    }
}
