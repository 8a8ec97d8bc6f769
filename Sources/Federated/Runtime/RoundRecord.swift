/// One line of rounds.jsonl.
public struct RoundRecord: Sendable, Codable {
    public struct Failure: Sendable, Codable, Equatable {
        public var client: Int
        public var reason: String
    }
    /// Which model: "fl", "leaf3", "over_arch", ...
    public var federation: String
    public var round: Int
    public var sampled: [Int]
    /// Clients whose update was aggregated.
    public var participants: [Int]
    public var failures: [Failure]
    public var unavailable: [Int]
    public var stragglers: [Int]
    /// True when no update arrived (the model did not change).
    public var noUpdate: Bool
    public var samples: Int
    public var trainLoss: Double?
    /// Simulated round latency (slowest participant, or the deadline) and energy.
    public var simSeconds: Double
    public var simJoules: Double
    /// Simulated bytes over the phones' links (model down + update up, per trained client).
    public var deviceBytes: Int
    /// Real bytes the server's ledger recorded for this round (phase `federated`).
    public var mpiBytes: Int
    public var wallSeconds: Double
    public var clientUpdatesPerSecond: Double
    /// Central DP: epsilon spent after this round (at the configured delta).
    public var epsilon: Double?
    /// Central DP: the share of updates the clip shrank.
    public var clippedFraction: Double?
    public var eval: Quality?
    public var evalGroups: [String: Quality]?
    /// On-client evaluation of the same model (eval rounds with `eval.federated_clients` > 0).
    public var federatedEval: FederatedEvalRecord? = nil
}
