import Tensors

/// A federation's evaluations on its eval rounds: central, on the server's
/// eval set (the test splits it holds), and federated, on clients sampled
/// that round when configured. One place, so every run that reports eval
/// (plain FL, RF^2's tiered runs) reports both the same way.
public final class RoundEvaluation {
    public let evalSet: EvalSet
    public let federated: FederatedEvaluator?
    let model: ClientModel
    let every: Int
    let last: Int

    public init(config: FederationConfig, source: ClientSource, engine: RoundEngine, taskIndex: Int,
                groupsOf: @escaping (Int) -> [String]) throws {
        evalSet = try EvalSet(source: source, limit: config.evalClients, seed: config.seed, groupsOf: groupsOf)
        model = ClientModel(spec: config.model.spec(for: source), maxBatch: config.maxBatch, seed: config.seed)
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
        model.load(from: global.pointer)
        let q = evalSet.evaluate { model.logits($1) }
        rec.eval = q.overall
        rec.evalGroups = q.groups
        rec.federatedEval = federated?.evaluate(round: rec.round, global: global)
    }
}
