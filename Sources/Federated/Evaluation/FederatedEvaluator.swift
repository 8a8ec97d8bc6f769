import Tensors

/// The server's side of federated evaluation (Flower's `evaluate_round` with
/// `fraction_evaluate`): each eval round it samples `clients` clients
/// (seeded by (seed, round), apart from the training draws), has their hosts
/// score the model on each client's own test split, and aggregates the
/// returned statistics by summing them (so weighted by sample count), overall
/// and per group. No test sample or label leaves a host; see docs/DESIGN.md
/// for what does.
public struct FederatedEvaluator {
    public let engine: RoundEngine
    public let taskIndex: Int
    public let population: Int
    public let clients: Int
    public let bins: Int
    public let seed: UInt64
    public let device: DeviceModel?
    public let groupsOf: (Int) -> [String]
    public let forwardFlopsPerSample: Double
    public let modelBytes: Int

    /// Nil when the config turns federated evaluation off (`federatedEvalClients` 0).
    public init?(engine: RoundEngine, taskIndex: Int, config: FederationConfig, population: Int,
                 groupsOf: @escaping (Int) -> [String], forwardFlopsPerSample: Double, parameters: Int) {
        guard config.federatedEvalClients > 0 else { return nil }
        self.engine = engine
        self.taskIndex = taskIndex
        self.population = population
        clients = min(config.federatedEvalClients, population)
        bins = config.aucBins
        seed = config.seed
        device = config.device
        self.groupsOf = groupsOf
        self.forwardFlopsPerSample = forwardFlopsPerSample
        modelBytes = parameters * 4
    }

    /// The clients asked in `round`: their own stream, so turning evaluation
    /// on does not change which clients train.
    public func sample(round: Int) -> [Int] {
        ClientSampler.sample(clients, of: population, seed: seed, round: round, stream: 0xE7A2)
    }

    public func evaluate(round: Int, global: FlatBuffer<Float>) -> FederatedEvalRecord {
        let bytes0 = engine.federatedBytes()
        let sampled = sample(round: round)
        var unavailable: [Int] = [], asked: [Int] = []
        for c in sampled {
            if let d = device, !d.available(client: c, round: round) { unavailable.append(c) } else { asked.append(c) }
        }
        var total = EvalStats(bins: bins)
        var byGroup: [String: EvalStats] = [:]
        var evaluated: [Int] = [], failures: [RoundRecord.Failure] = []
        var cost = EvalDeviceCost()
        var active: [DeviceCost] = []
        cost.downBytes = modelBytes * asked.count
        engine.serverEvaluate(task: taskIndex, round: round, clients: asked, bins: bins, global: global) { j, result in
            let c = asked[j]
            switch result {
            case .failed(let why):
                failures.append(.init(client: c, reason: why))
            case .ok(let stats):
                total.merge(stats)
                for g in groupsOf(c) { byGroup[g, default: EvalStats(bins: bins)].merge(stats) }
                evaluated.append(c)
                let flops = Double(stats.count) * forwardFlopsPerSample
                cost.forwardFlops += flops
                cost.upBytes += stats.uploadBytes
                if let d = device {
                    active.append(d.simulate(client: c, round: round, flops: flops, downBytes: modelBytes, upBytes: stats.uploadBytes))
                }
            }
        }
        // As a training round: the slowest device sets the latency, the others idle until then.
        cost.simSeconds = active.map(\.seconds).max() ?? 0
        for a in active { cost.simJoules += a.activeJoules + a.idleWatts * (cost.simSeconds - a.seconds) }
        return FederatedEvalRecord(sampled: sampled, evaluated: evaluated, failures: failures, unavailable: unavailable,
                                   quality: total.quality, groups: byGroup.compactMapValues(\.quality),
                                   aucTieBound: total.count > 0 ? total.histogram.tieBound : nil,
                                   cost: cost, mpiBytes: engine.federatedBytes() - bytes0)
    }
}
