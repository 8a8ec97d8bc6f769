import Training

/// Every key of a training config (`strata train`, plan, bench train, the
/// data commands, sweep's base and axes, resume's overrides), declared once
/// per section: what it holds (strata train --help), its allowed values when
/// numeric (checked before it is set, listed by `strata ranges`) and where it
/// goes in `RunConfig`. `RunConfig.validate` then checks what spans keys.
///
/// Declared here rather than beside each section's type (Training, Data,
/// Sharding): a declaration decodes YAML nodes through `DeclaredKey`, which
/// lives in CLISupport with Yams, and the core must not depend on either.
package enum RunConfigKeys {
    package typealias Key = DeclaredKey<RunConfig>

    package static let schema = ConfigSchema<RunConfig>(model + data + synthetic + movielens + optimizer + run + sharding + topology + precision,
                                                        hint: " (see strata train --help)")

    static let model: [(String, Key)] = [
        ("model.embedding_dim", .int(\.model.embeddingDim, .ints(1...Int.max), "D: every table's width and the bottom MLP's last width")),
        ("model.bottom", .ints(\.model.bottom, .ints(1...Int.max), "bottom MLP widths after the dense input; the last equals model.embedding_dim")),
        ("model.top", .ints(\.model.top, .ints(1...Int.max), "top MLP widths after the interaction; the last is 1 (the logit)")),
        ("model.encoder", .choices(\.model.encoder, "how a sequence feature's rows become one vector")),
        ("model.heads", .int(\.model.heads, .ints(1...Int.max), "attention's learned queries")),
        ("model.pooling", .choices(\.model.pooling, "how pooled features sum their bags")),
        ("model.target_query", .string(\.model.targetQuery,
                                       "the pooled feature whose embedding queries target_attention (default: the item-side feature on the sequence's table)")),
        ("model.use_sequences", .bool(\.model.useSequences, "false: the sequence features are not looked up or encoded (a baseline on the same data)")),
        ("model.gemm", .choices(\.model.gemm, "the dense GEMMs' kernels; openblas when not given, so that a seeded run repeats bit for bit")),
        ("model.precision", .choices(\.model.precision, "the dense GEMMs' inputs; fp32 when not given (bf16 keeps f32 master weights)")),
        ("model.exclude_features", .strings(\.model.excludeFeatures, "feature names", "features the model leaves out, e.g. [user] (the data still carries them)")),
    ]

    static let optimizer: [(String, Key)] = [
        ("optimizer.dense", .choices(\.optimizer.dense, "the dense layers' optimizer")),
        ("optimizer.dense_learning_rate", .float(\.optimizer.denseLearningRate, .float(above: 0), "the dense layers' learning rate")),
        ("optimizer.embedding", .choices(\.optimizer.embedding, "the tables' optimizer")),
        ("optimizer.embedding_learning_rate", .float(\.optimizer.embeddingLearningRate, .float(above: 0), "the tables' learning rate")),
    ]

    static let run: [(String, Key)] = [
        ("run.steps", .int(\.run.steps, .ints(1...Int.max), "training steps")),
        ("run.batch_size", .int(\.run.batchSize, .ints(1...Int.max), "the global batch, split across the ranks (the same samples at any world size)")),
        ("run.seed", .seed(\.run.seed, "the run's seed (initial weights)")),
        ("run.eval_every", .int(\.run.evalEvery, .ints(0...Int.max), "evaluate every N steps (0: only at the end)")),
        ("run.eval_samples", .int(\.run.evalSamples, .ints(0...Int.max), "eval samples used (0: the whole eval split)")),
        ("run.log_every", .int(\.run.logEvery, .ints(1...Int.max), "a progress line every N steps")),
        ("run.checkpoint_every", .int(\.run.checkpointEvery, .ints(0...Int.max), "checkpoint every N steps (0: only at the end; docs/RELIABILITY.md)")),
        ("run.keep_checkpoints", .int(\.run.keepCheckpoints, .ints(1...Int.max), "complete checkpoints kept (the newest)")),
        ("run.step_timeout_seconds", .real(\.run.stepTimeoutSeconds, .reals(0...1e9),
                                           "the watchdog: a step or phase some rank has not finished after this many seconds ends the job, exit 3 (0: off)")),
    ]
}
