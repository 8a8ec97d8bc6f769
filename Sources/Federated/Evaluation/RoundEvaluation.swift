import Tensors

/// A federation's evaluations on its eval rounds: central, on the server's
/// eval set (the test splits it holds), and federated, on clients sampled
/// that round when configured. One place, so every run that reports eval
/// (plain FL, RF^2's tiered runs) reports both the same way.
public final class RoundEvaluation {
    public let evalSet: EvalSet
    public let federated: FederatedEvaluator?
    /// The central eval's model: the global model unless a run scores some
    /// clients with another (HeteroFL: each tier's narrower model).
    public var scorer: CentralScorer
    let every: Int
    let last: Int

    public init(config: FederationConfig, source: ClientSource, engine: RoundEngine, taskIndex: Int,
                groupsOf: @escaping (Int) -> [String]) throws {
        evalSet = try EvalSet(source: source, limit: config.evalClients, seed: config.seed, groupsOf: groupsOf)
        let model = ClientModel(spec: config.model.spec(for: source), maxBatch: config.maxBatch, seed: config.seed)
        scorer = model
        federated = FederatedEvaluator(engine: engine, taskIndex: taskIndex, config: config, population: source.population,
                                       groupsOf: groupsOf, forwardFlopsPerSample: model.forwardFlopsPerSample,
                                       parameters: model.parameterCount)
        every = config.evalEvery
        last = config.rounds
    }

    public func isEvalRound(_ r: Int) -> Bool { r % every == 0 || r == last }

    /// Fills `rec`'s eval fields on an eval round (leaves it alone otherwise).
    public func evaluate(_ rec: inout RoundRecord, global: FlatBuffer<Float>) {
        guard isEvalRound(rec.round) else { return }
        scorer.load(global.pointer)
        let q = evalSet.evaluate { scorer.logits(client: $0, $1) }
        rec.eval = q.overall
        rec.evalGroups = q.groups
        rec.federatedEval = federated?.evaluate(round: rec.round, global: global)
    }
}

/// Scores clients' samples centrally from the global model.
public protocol CentralScorer: AnyObject {
    func load(_ global: UnsafePointer<Float>)
    func logits(client: Int, _ data: ClientSamples) -> [Float]
}

extension ClientModel: CentralScorer {
    public func load(_ global: UnsafePointer<Float>) { load(from: global) }
    public func logits(client: Int, _ data: ClientSamples) -> [Float] { logits(data) }
}
