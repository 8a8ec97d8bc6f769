/// What the simulated phones spent on one evaluation round (or a run's sum).
public struct EvalDeviceCost: Sendable, Codable, Equatable {
    /// Forward-pass FLOPs of the scored test samples.
    public var forwardFlops = 0.0
    /// The model to each evaluating device (dense float32), and the statistics back.
    public var downBytes = 0
    public var upBytes = 0
    /// With a device model: the round's latency (the slowest evaluating device)
    /// and the energy of every asked device (active, then idle until the slowest is done).
    public var simSeconds = 0.0
    public var simJoules = 0.0
    public init() {}

    public mutating func add(_ o: EvalDeviceCost) {
        forwardFlops += o.forwardFlops
        downBytes += o.downBytes
        upBytes += o.upBytes
        simSeconds += o.simSeconds
        simJoules += o.simJoules
    }
}

/// One federated evaluation, in rounds.jsonl beside the central `eval`.
public struct FederatedEvalRecord: Sendable, Codable {
    public var sampled: [Int]
    /// Clients whose statistics were aggregated, in sampled order.
    public var evaluated: [Int]
    public var failures: [RoundRecord.Failure]
    public var unavailable: [Int]
    /// Aggregated over `evaluated`, weighted by sample count (nil: no sample).
    public var quality: Quality?
    public var groups: [String: Quality]
    /// The most the histogram AUC can differ from the exact pooled AUC.
    public var aucTieBound: Double?
    public var cost: EvalDeviceCost
    /// Real bytes of the evaluation round on the server's ledger.
    public var mpiBytes: Int
}
