import Data
import Model
import Sharding
import ShardedEmbeddings
import Tensors

/// Everything a training run is told, as plain values. The CLI fills it from
/// YAML and `--set key=value` (dotted keys, as in `Configs/*.yaml`); nothing
/// below the CLI parses text. Defaults are the quickstart's.
public struct RunConfig: Sendable, Codable, Equatable {
    public var model = ModelConfig()
    public var data = DataConfig()
    public var optimizer = OptimizerConfig()
    public var run = RunSettings()
    public var sharding = ShardingSpec()
    public var topology = TopologyConfig()
    /// `embedding.precision`, `comm.precision`, `comm.backward_precision`.
    public var precision = PrecisionConfig()

    public init() {}

    // A config written before `precision` existed decodes as fp32 everywhere.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(ModelConfig.self, forKey: .model)
        data = try c.decode(DataConfig.self, forKey: .data)
        optimizer = try c.decode(OptimizerConfig.self, forKey: .optimizer)
        run = try c.decode(RunSettings.self, forKey: .run)
        sharding = try c.decode(ShardingSpec.self, forKey: .sharding)
        topology = try c.decode(TopologyConfig.self, forKey: .topology)
        precision = try c.decodeIfPresent(PrecisionConfig.self, forKey: .precision) ?? PrecisionConfig()
    }
}

/// The number formats of the embeddings (docs/DESIGN.md, "Mixed precision").
/// fp32 everywhere is the default and the exact path.
public struct PrecisionConfig: Sendable, Codable, Equatable {
    /// `embedding.precision`: how rows are stored (optimizer state stays f32).
    public var embedding = RowPrecision.fp32
    /// `comm.precision`: the pooled rows' payload in the forward exchange.
    public var comm = RowPrecision.fp32
    /// `comm.backward_precision`: the gradients' payload; nil: bf16 when
    /// `comm` is 16-bit (TorchRec's qcomms default: fp16 forward, bf16
    /// backward, bf16's range being safer for gradients), else fp32.
    public var commBackward: RowPrecision?

    public init() {}

    public var payload: PayloadPrecision {
        PayloadPrecision(forward: comm, backward: commBackward ?? (comm == .fp32 ? .fp32 : .bf16))
    }
}

public struct ModelConfig: Sendable, Codable, Equatable {
    /// D: every table's width and the bottom MLP's last width.
    public var embeddingDim = 16
    /// Bottom MLP widths after the dense input; the last must equal `embeddingDim`.
    public var bottom = [64, 16]
    /// Top MLP widths after the interaction; the last must be 1.
    public var top = [64, 1]
    public var encoder = EncoderChoice.attention
    /// Learned queries of `attention` (the other encoders have none).
    public var heads = 2
    /// How pooled features sum their bags.
    public var pooling = PoolingMode.sum
    /// The pooled feature whose embedding queries target attention (default:
    /// the item-side pooled feature on the sequence's table).
    public var targetQuery: String?
    /// false: the data's sequence features are not looked up or encoded (the
    /// model without them, as a baseline on the same data).
    public var useSequences = true
    /// Features the model leaves out (ablations: the data still carries them).
    public var excludeFeatures: [String] = []
    /// `model.gemm`: the dense GEMMs' kernels (nil: openblas, so that a seeded
    /// run repeats bit for bit; auto times each shape's kernels at start-up,
    /// and two runs may then differ by fp32 re-association).
    public var gemm: GemmMode?
    /// `model.precision`: the dense GEMMs' inputs (nil: fp32); bf16 keeps f32
    /// master weights, gradients and optimizer state.
    public var precision: DensePrecision?

    /// `model.gemm` and `model.precision` with their defaults.
    public var gemmOptions: GemmOptions { GemmOptions(mode: gemm ?? .openblas, precision: precision ?? .fp32) }
}

/// `model.encoder`: how a sequence feature's rows become one vector.
public enum EncoderChoice: String, Sendable, Codable, CaseIterable {
    case mean
    case attention
    case targetAttention = "target_attention"

    /// The model's encoder; `heads` is attention's number of learned queries.
    public func kind(heads: Int) -> SequenceEncoderKind {
        switch self {
        case .mean: return .mean
        case .attention: return .attention(heads: heads)
        case .targetAttention: return .targetAttention
        }
    }
}

public struct DataConfig: Sendable, Codable, Equatable {
    /// `data.source`: where the samples come from (any kind of the catalogue;
    /// `DataSources.dataSets`).
    public var source = DataSetKind.synthetic
    /// Criteo file, MovieLens folder, or binary file (train split).
    public var path: String?
    /// Binary file of the eval split (source `binary`).
    public var evalPath: String?
    /// User-side features as an IKJT of unique rows (RecD); false: one row per sample.
    public var dedup = true
    public var synthetic = SyntheticConfig()
    public var criteoRowsPerTable = 100_000
    public var skipBadLines = false
    /// Criteo: every k-th line is eval (0: none).
    public var criteoEvalEvery = 10
    /// Criteo shards: which half of the last day is the eval split.
    public var criteoHeldOut = CriteoHeldOutHalf.validation
    public var movielens = MovieLensConfig()
}

extension DataConfig {
    // A config written before `criteo_held_out` existed decodes with validation.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.decode(DataSetKind.self, forKey: .source)
        path = try c.decodeIfPresent(String.self, forKey: .path)
        evalPath = try c.decodeIfPresent(String.self, forKey: .evalPath)
        dedup = try c.decode(Bool.self, forKey: .dedup)
        synthetic = try c.decode(SyntheticConfig.self, forKey: .synthetic)
        criteoRowsPerTable = try c.decode(Int.self, forKey: .criteoRowsPerTable)
        skipBadLines = try c.decode(Bool.self, forKey: .skipBadLines)
        criteoEvalEvery = try c.decode(Int.self, forKey: .criteoEvalEvery)
        criteoHeldOut = try c.decodeIfPresent(CriteoHeldOutHalf.self, forKey: .criteoHeldOut) ?? .validation
        movielens = try c.decode(MovieLensConfig.self, forKey: .movielens)
    }
}

public struct OptimizerConfig: Sendable, Codable, Equatable {
    public var dense = DenseOptimizerKind.adagrad
    public var denseLearningRate: Float = 0.05
    public var embedding = EmbeddingOptimizerKind.rowwiseAdagrad
    public var embeddingLearningRate: Float = 0.05
}

public struct RunSettings: Sendable, Codable, Equatable {
    public var steps = 300
    /// The GLOBAL batch: each step trains on the same samples whatever the world size.
    public var batchSize = 256
    public var seed: UInt64 = 1
    /// Evaluate every N steps (0: only at the end).
    public var evalEvery = 0
    /// Eval samples used (0: the whole eval split).
    public var evalSamples = 0
    /// Progress line every N steps.
    public var logEvery = 50
    /// Checkpoint every N steps (0: only at the end); see docs/RELIABILITY.md.
    public var checkpointEvery = 0
    /// Complete checkpoints kept in the run folder (the newest ones).
    public var keepCheckpoints = 2
    /// The watchdog: a step, or a checkpoint, evaluation or final phase, that
    /// some rank has not finished after this many seconds ends the job, naming
    /// the ranks that did not arrive, exit 3 (0: off); see docs/RELIABILITY.md.
    public var stepTimeoutSeconds = 0.0

    public init() {}

    // A config without the checkpoint or watchdog keys decodes with the defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        steps = try c.decode(Int.self, forKey: .steps)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        seed = try c.decode(UInt64.self, forKey: .seed)
        evalEvery = try c.decode(Int.self, forKey: .evalEvery)
        evalSamples = try c.decode(Int.self, forKey: .evalSamples)
        logEvery = try c.decode(Int.self, forKey: .logEvery)
        checkpointEvery = try c.decodeIfPresent(Int.self, forKey: .checkpointEvery) ?? 0
        keepCheckpoints = try c.decodeIfPresent(Int.self, forKey: .keepCheckpoints) ?? 2
        stepTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .stepTimeoutSeconds) ?? 0
    }
}

public struct TopologyConfig: Sendable, Codable, Equatable {
    /// Emulate nodes of this many consecutive ranks (nil: the real nodes).
    public var ranksPerNode: Int?
    public var intraNodeGiBps = 600.0
    public var interNodeGiBps = 12.5
    /// Link latencies (and measured bandwidths) for `strata plan`'s model:
    /// a `strata bench comm --calibrate` file (nil: this machine's figures).
    public var calibration: String?
}

/// A config that cannot run; the message names the key.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ message: String) { description = message }
}

extension RunConfig {
    /// Checks values that every key path could get wrong, naming the key.
    public func validate() throws {
        func positive(_ v: Int, _ key: String) throws {
            guard v > 0 else { throw ConfigError("\(key) must be positive, got \(v)") }
        }
        try positive(model.embeddingDim, "model.embedding_dim")
        try positive(run.steps, "run.steps")
        try positive(run.batchSize, "run.batch_size")
        try positive(run.logEvery, "run.log_every")
        guard run.checkpointEvery >= 0 else { throw ConfigError("run.checkpoint_every must not be negative, got \(run.checkpointEvery)") }
        try positive(run.keepCheckpoints, "run.keep_checkpoints")
        guard run.stepTimeoutSeconds.isFinite, run.stepTimeoutSeconds >= 0 else {
            throw ConfigError("run.step_timeout_seconds must be a finite number of seconds, at least 0 (0: no watchdog), got \(run.stepTimeoutSeconds)")
        }
        guard run.evalEvery >= 0 else { throw ConfigError("run.eval_every must not be negative, got \(run.evalEvery)") }
        guard run.evalSamples >= 0 else { throw ConfigError("run.eval_samples must not be negative, got \(run.evalSamples)") }
        guard !model.bottom.isEmpty, model.bottom.allSatisfy({ $0 > 0 }) else {
            throw ConfigError("model.bottom must be a list of positive widths, got \(model.bottom)")
        }
        guard model.bottom.last == model.embeddingDim else {
            throw ConfigError("model.bottom must end at model.embedding_dim (\(model.embeddingDim)), got \(model.bottom)")
        }
        guard !model.top.isEmpty, model.top.allSatisfy({ $0 > 0 }), model.top.last == 1 else {
            throw ConfigError("model.top must be positive widths ending at 1 (the logit), got \(model.top)")
        }
        try positive(model.heads, "model.heads")
        if data.source != .synthetic, data.path == nil {
            throw ConfigError("data.path is required for data.source '\(data.source.rawValue)'")
        }
        try positive(data.synthetic.samples, "data.synthetic.samples")
        try positive(data.synthetic.evalSamples, "data.synthetic.eval_samples")
        try positive(data.synthetic.itemRows, "data.synthetic.item_rows")
        try positive(data.synthetic.userRows, "data.synthetic.user_rows")
        try positive(data.synthetic.sessionLength, "data.synthetic.session_length")
        try positive(data.criteoRowsPerTable, "data.criteo_rows_per_table")
        guard data.synthetic.historyMaxLength >= 0 else {
            throw ConfigError("data.synthetic.history_max_length must not be negative, got \(data.synthetic.historyMaxLength)")
        }
        try positive(data.synthetic.clusters, "data.synthetic.clusters")
        for (name, e) in [("zipf_exponent", data.synthetic.zipfExponent)] + data.synthetic.zipfExponents.sorted(by: { $0.key < $1.key })
            .map({ ("zipf_exponents.\($0.key)", $0.value) }) where !(e >= 0) {
            throw ConfigError("data.synthetic.\(name) must be >= 0 (0: uniform), got \(e)")
        }
        guard data.synthetic.extraIdsPerBag.lowerBound >= 1 else {
            throw ConfigError("data.synthetic.extra_ids_per_bag must start at 1 or more, got \(data.synthetic.extraIdsPerBag)")
        }
        try positive(data.synthetic.shuffleWindow, "data.synthetic.shuffle_window")
        guard data.synthetic.denseCount >= 0 else { throw ConfigError("data.synthetic.dense_count must not be negative, got \(data.synthetic.denseCount)") }
        for (i, t) in data.synthetic.extraTables.enumerated() where t.rows <= 0 {
            throw ConfigError("data.synthetic.extra_tables[\(i)] must be positive, got \(t.rows)")
        }
        try positive(data.movielens.historyLength, "data.movielens.history_length")
        guard data.movielens.heldoutUsers > 0, data.movielens.heldoutUsers < 1 else {
            throw ConfigError("data.movielens.heldout_users must be in (0, 1) (the share of users held out), got \(data.movielens.heldoutUsers)")
        }
        guard optimizer.denseLearningRate > 0, optimizer.embeddingLearningRate > 0 else {
            throw ConfigError("optimizer learning rates must be positive")
        }
        try positive(sharding.profileSteps, "sharding.profile_steps")
        if let l = topology.ranksPerNode { try positive(l, "topology.ranks_per_node") }
        guard topology.intraNodeGiBps > 0, topology.interNodeGiBps > 0 else {
            throw ConfigError("topology bandwidths must be positive")
        }
        try checkSizes()
    }
}
