import Federated
import Tensors

/// How users map to device tiers (RF^2, arXiv 2206.02633): tier 0 the low end,
/// 1 mid, 2 the high end.
public enum TierMapping: Sendable, Equatable, Codable {
    /// Each user's tier uniform and independent of their data (the setup prior work assumes).
    case random
    /// Users who click the same items share a tier (the realistic mapping);
    /// smaller alpha: more concentrated.
    case dirichlet(alpha: Double)

    public var name: String {
        switch self {
        case .random: return "random"
        case .dirichlet: return "dirichlet"
        }
    }
}

/// The tier of every client of a population, fixed for a run. Every rank
/// builds the same one from (source, mapping, seed).
public struct TierAssignment: Sendable, Equatable {
    public static let count = 3
    public var tiers: [UInt8]

    public init(tiers: [UInt8]) { self.tiers = tiers }

    public func tier(of client: Int) -> Int { Int(tiers[client]) }
    public var sizes: [Int] {
        var s = [Int](repeating: 0, count: Self.count)
        for t in tiers { s[Int(t)] += 1 }
        return s
    }

    /// A client's clicked items: the distinct items (sparse feature 0) of its
    /// positive training samples. The test split is left out so the mapping
    /// never sees what is evaluated.
    public static func clicks(_ source: ClientSource, client: Int) throws -> [Int] {
        let train = try source.data(client: client).train
        let P = source.idsPerSample
        var items = Set<Int>()
        for s in 0..<train.count where train.labels[s] > 0.5 { items.insert(Int(train.ids[s * P])) }
        return items.sorted()
    }

    public static func build(_ mapping: TierMapping, source: ClientSource, seed: UInt64) throws -> TierAssignment {
        switch mapping {
        case .random:
            return TierAssignment(tiers: (0..<source.population).map {
                UInt8(StrataRNG.hash(seed: seed, stream: 0x72F2_0001, index: UInt64($0)) % UInt64(count))
            })
        case .dirichlet(let alpha):
            return dirichlet(clicks: try (0..<source.population).map { try clicks(source, client: $0) }, alpha: alpha, seed: seed)
        }
    }

    /// RF^2's realistic mapping from each user's clicked items: walk the items
    /// from most to fewest clicks (ties by id); for each, draw p ~ Dir(alpha x 3)
    /// sorted descending and deal its not yet assigned users (shuffled) to the
    /// tiers in those shares, the largest share to the currently smallest tier
    /// (ties: lower tier). Users with no click are one more item, dealt last.
    public static func dirichlet(clicks: [[Int]], alpha: Double, seed: UInt64) -> TierAssignment {
        var users: [Int: [Int]] = [:]
        for (u, items) in clicks.enumerated() { for i in items { users[i, default: []].append(u) } }
        var order = users.keys.sorted { (users[$0]!.count, $1) > (users[$1]!.count, $0) }
        let noClick = clicks.indices.filter { clicks[$0].isEmpty }
        let pseudo = -1
        if !noClick.isEmpty { users[pseudo] = noClick; order.append(pseudo) }
        var rng = StrataRNG(seed: StrataRNG.hash(seed: seed, stream: 0x72F2_0002, index: 0))
        var tier = [Int](repeating: -1, count: clicks.count)
        var size = [Int](repeating: 0, count: count)
        for item in order {
            var group = users[item]!.filter { tier[$0] < 0 }
            if group.isEmpty { continue }
            group.shuffle(using: &rng)
            let p = Gamma.dirichlet(alpha: alpha, count: count, rng: &rng).sorted(by: >)
            let smallestFirst = (0..<count).sorted { (size[$0], $0) < (size[$1], $1) }
            // Cumulative rounding: the parts sum to the group exactly.
            var cum = 0.0, start = 0
            for (k, share) in p.enumerated() {
                cum += share
                let end = k == count - 1 ? group.count : min(group.count, Int((cum * Double(group.count)).rounded()))
                for u in group[start..<max(start, end)] { tier[u] = smallestFirst[k] }
                size[smallestFirst[k]] += max(0, end - start)
                start = max(start, end)
            }
        }
        return TierAssignment(tiers: tier.map { UInt8($0) })
    }
}
