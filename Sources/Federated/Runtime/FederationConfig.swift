import Model

/// Hidden widths of the on-device DLRM (its tables follow the data source).
public struct ModelHyper: Sendable, Equatable, Codable {
    public var dim = 16
    /// Bottom MLP hidden widths (the last layer, of width dim, is added).
    public var bottomHidden = [32]
    /// Top MLP hidden widths (the logit layer is added).
    public var topHidden = [64]
    /// `model.gemm` and `model.precision`: the dense GEMMs' kernels (nil:
    /// auto, fp32), as the trainer's keys of the same names.
    public var gemm: GemmMode?
    public var precision: DensePrecision?
    public init() {}

    public var gemmOptions: GemmOptions { GemmOptions(mode: gemm ?? .openblas, precision: precision ?? .fp32) }

    public func spec(for source: ClientSource) -> ModelSpec {
        ModelSpec(denseFeatures: source.denseFeatures, tableRows: source.tableRows, dim: dim,
                  bottom: bottomHidden + [dim], top: topHidden + [1], bagSizes: source.bagSizes)
    }
}

/// How clients are drawn each round.
public enum ClientSampling: String, Sendable, Equatable, Codable, CaseIterable {
    /// K distinct clients uniformly each round, independently of other rounds (Flower's default).
    case uniform
    /// Every client once per epoch: a seeded permutation of the pool per epoch,
    /// taken K at a time (the last round of an epoch takes what is left), as
    /// RF^2's reference setup trains.
    case epoch
}

/// One federation's settings (Flower's ServerConfig + strategy + client config).
public struct FederationConfig: Sendable, Equatable, Codable {
    public var seed: UInt64 = 1
    public var rounds = 20
    /// K: clients sampled a round.
    public var clientsPerRound = 10
    /// How a round's K are drawn.
    public var sampling = ClientSampling.uniform
    public var client = ClientRoundConfig(epochs: 1, batch: 32, learningRate: 0.1)
    public var strategy = Strategy.fedAvg(serverLR: 1)
    public var dp: CentralDP?
    public var device: DeviceModel?
    /// Simulated seconds after which a round stops waiting (stragglers dropped); nil: wait for the slowest.
    public var deadlineSeconds: Double?
    /// Evaluate every this many rounds (and after the last).
    public var evalEvery = 5
    /// Central evaluation on the test splits of at most this many clients (a seeded sample).
    public var evalClients = 1000
    /// Federated evaluation: clients sampled each eval round to score the
    /// model on their own test splits (0: off).
    public var federatedEvalClients = 0
    /// Bins of the score histogram a client returns for the pooled AUC.
    public var aucBins = 1000
    public var model = ModelHyper()
    /// Samples a forward pass holds at most (the model's scratch; full batches run in chunks).
    public var maxBatch = 256
    /// Clients that throw on purpose (drills of accept_failures).
    public var failingClients: [Int] = []
    public init() {}

    /// Refuses what cannot run, naming the key.
    public func validate(population: Int) throws {
        if rounds < 1 { throw FLConfigError(key: "rounds", "must be at least 1, got \(rounds)") }
        if clientsPerRound < 1 { throw FLConfigError(key: "clients_per_round", "must be at least 1, got \(clientsPerRound)") }
        if clientsPerRound > population {
            throw FLConfigError(key: "clients_per_round", "\(clientsPerRound) is larger than the population of \(population) clients")
        }
        if client.epochs < 1 { throw FLConfigError(key: "client.epochs", "must be at least 1, got \(client.epochs)") }
        if client.batch < 0 { throw FLConfigError(key: "client.batch", "must be 0 (full batch) or positive, got \(client.batch)") }
        if !(client.learningRate > 0 && client.learningRate.isFinite) { throw FLConfigError(key: "client.lr", "must be positive and finite, got \(client.learningRate)") }
        if evalEvery < 1 { throw FLConfigError(key: "eval.every", "must be at least 1, got \(evalEvery)") }
        if federatedEvalClients < 0 { throw FLConfigError(key: "eval.federated_clients", "must be 0 (off) or positive, got \(federatedEvalClients)") }
        if federatedEvalClients > population {
            throw FLConfigError(key: "eval.federated_clients", "\(federatedEvalClients) is larger than the population of \(population) clients")
        }
        if aucBins < 2 { throw FLConfigError(key: "eval.auc_bins", "must be at least 2, got \(aucBins)") }
        if maxBatch < 1 { throw FLConfigError(key: "max_batch", "must be at least 1") }
        if model.dim < 1 { throw FLConfigError(key: "model.dim", "must be positive, got \(model.dim)") }
        if let dp {
            if !(dp.clip > 0) { throw FLConfigError(key: "dp.clip", "must be positive, got \(dp.clip)") }
            if !(dp.noiseMultiplier >= 0) { throw FLConfigError(key: "dp.noise_multiplier", "must be >= 0, got \(dp.noiseMultiplier)") }
            if !(dp.delta > 0 && dp.delta < 1) { throw FLConfigError(key: "dp.delta", "must be in (0, 1), got \(dp.delta)") }
        }
        if let d = deadlineSeconds, !(d > 0) { throw FLConfigError(key: "device.deadline_s", "must be positive, got \(d)") }
        try device?.validate()
        switch strategy {
        case .fedProx(let mu, _) where mu < 0: throw FLConfigError(key: "strategy.mu", "must be >= 0, got \(mu)")
        default: break
        }
    }
}
