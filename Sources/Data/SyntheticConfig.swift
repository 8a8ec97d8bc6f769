/// Knobs of the synthetic sequence-DLRM data (see `SyntheticDataset`).
///
/// Sessions are fixed blocks of `sessionLength` consecutive samples of one user;
/// the samples of a session share the user-side features (`user`, `history`).
public struct SyntheticConfig: Sendable, Codable, Equatable {
    public var seed: UInt64 = 1
    /// Train samples.
    public var samples: Int = 100_000
    /// Eval samples (a separate stream: different sessions).
    public var evalSamples: Int = 10_000
    public var denseCount: Int = 13
    public var itemRows: Int = 100_000
    public var userRows: Int = 20_000
    /// Extra item-side categorical tables.
    public var extraTables: [TableSpec] = [TableSpec(name: "c0", rows: 1_000),
                                           TableSpec(name: "c1", rows: 10_000),
                                           TableSpec(name: "c2", rows: 100)]
    /// Ids per bag of each extra table, uniform in this range (the DLRM
    /// reference's random data draws 1...10); the planted model reads a bag's
    /// mean id weight.
    public var extraIdsPerBag: ClosedRange<Int> = 1...1
    /// History lengths are uniform in 0...historyMaxLength.
    public var historyMaxLength: Int = 20
    /// Samples per session.
    public var sessionLength: Int = 6
    /// Zipf exponent of every table unless overridden in `zipfExponents`
    /// (0: uniform, as the reference's random data).
    public var zipfExponent: Double = 1.05
    /// Per-table Zipf exponents by table name.
    public var zipfExponents: [String: Double] = [:]
    /// `TRACE:TABLE`: item ranks follow that trace table's popularity
    /// stretched to `itemRows` (e.g. MovieLens's from `strata data profile`)
    /// instead of Zipf; nil: Zipf. Read by `DataSources.load`.
    public var itemPopularity: String?
    /// Items fall into this many clusters (Zipf rank mod clusters, a fixed function
    /// of the row); each user prefers one.
    public var clusters: Int = 16
    /// Probability that a history item is drawn from the user's cluster.
    public var historyAffinity: Double = 0.7
    /// Probability that a candidate is drawn from the user's cluster.
    public var candidateAffinity: Double = 0.5
    /// Logit weight of the history/candidate match (fraction of history items in
    /// the candidate's cluster).
    public var matchStrength: Double = 5.0
    /// Logit scale of the hash-based per-id weights of pooled ids.
    public var idWeightScale: Double = 0.4
    /// Logit scale of the dense features' weights.
    public var denseWeightScale: Double = 0.3
    public var bias: Double = -1.0
    /// Whole sessions are shuffled within windows of this many sessions (1: off).
    public var shuffleWindow: Int = 1

    public init() {}

    public func exponent(forTable name: String) -> Double { zipfExponents[name] ?? zipfExponent }
}
