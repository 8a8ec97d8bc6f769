/// The `sharding:` section of a config, decoded: what the user asked for, before
/// any table or world is known. `ShardingPlanner.plan` turns it into a plan.
public struct ShardingSpec: Sendable, Codable, Equatable {
    /// Every table not named in `tables`.
    public var type: ShardingChoice = .uniform(.tableWise)
    /// Per-table types by table name.
    public var tables: [String: ShardingType] = [:]
    /// Per-rank embedding memory budget in bytes (0: none): `auto` places
    /// tables under it, FlexShard plans its tiers within it (else within the
    /// row_wise footprint), and every plan is checked against it.
    public var memoryBudgetBytes = 0
    /// Global batches FlexShard profiles to rank rows by access count.
    public var profileSteps = 50
    /// Samples of those batches the profile counts (0: every one): a seeded
    /// sample in whole blocks (`ProfileSample`), counts scaled to the
    /// batches, so a weak-scaled world of 10^3 ranks profiles in bounded time.
    public var profileSamples = 0
    /// Each distinct id crosses the exchange once per (rank, feature, step);
    /// rows expanded on return, repeated ids' gradients summed before the
    /// backward exchange. Off by default, so earlier results are unchanged.
    public var dedupIds = false
    /// An access trace (AccessTrace's format) FlexShard ranks rows by,
    /// instead of profiling the run's data (nil: profile the data).
    public var profilePath: String?

    public init() {}

    enum CodingKeys: String, CodingKey { case type, tables, memoryBudgetBytes, profileSteps, profileSamples, dedupIds, profilePath }

    /// Configs saved before `dedupIds` or `profileSamples` existed decode with them off.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(ShardingChoice.self, forKey: .type)
        tables = try c.decode([String: ShardingType].self, forKey: .tables)
        memoryBudgetBytes = try c.decode(Int.self, forKey: .memoryBudgetBytes)
        profileSteps = try c.decode(Int.self, forKey: .profileSteps)
        profileSamples = try c.decodeIfPresent(Int.self, forKey: .profileSamples) ?? 0
        dedupIds = try c.decodeIfPresent(Bool.self, forKey: .dedupIds) ?? false
        profilePath = try c.decodeIfPresent(String.self, forKey: .profilePath)
    }

    /// `memoryBudgetBytes` when set.
    public var memoryBudget: Int? { memoryBudgetBytes > 0 ? memoryBudgetBytes : nil }
}

/// `sharding.type`: one type for every table, or `auto` (chosen per table
/// from its size and the budget). Coded as its name, as in the config.
public enum ShardingChoice: Sendable, Equatable, Hashable, Codable, CaseIterable {
    case auto
    case uniform(ShardingType)

    public static var allCases: [ShardingChoice] { ShardingType.allCases.map(ShardingChoice.uniform) + [.auto] }

    public var name: String {
        switch self {
        case .auto: return "auto"
        case .uniform(let t): return t.rawValue
        }
    }

    public init?(name: String) {
        if name == "auto" { self = .auto; return }
        guard let t = ShardingType(rawValue: name) else { return nil }
        self = .uniform(t)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let v = ShardingChoice(name: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown sharding type '\(s)'")
        }
        self = v
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}
