import Foundation
import Tensors

/// How a synthetic client's samples are drawn from the population's users.
public enum Partition: Sendable, Equatable, Codable {
    /// Client c holds user c's own samples (the federated default).
    case natural
    /// Each sample comes from a uniformly drawn user: every client looks alike.
    case iid
    /// Each client mixes the ground-truth clusters with proportions drawn from
    /// Dirichlet(alpha) (small alpha: one cluster dominates a client).
    case dirichlet(alpha: Double)
}

public struct SyntheticClientsConfig: Sendable, Equatable, Codable {
    public var population = 1000
    public var samplesPerClient = 64
    /// Sample counts vary uniformly in `samplesPerClient * [1 - spread, 1 + spread]`.
    public var sampleSpread = 0.0
    /// Ground-truth user clusters; each has its own preferences and label function.
    public var clusters = 4
    public var items = 10_000
    /// Rows of the user table (a client's user row is `client % userRows`).
    public var userRows = 1000
    public var partition = Partition.natural
    public var testFraction = 0.1
    public var seed: UInt64 = 1
    public init() {}
}

/// A user population of any size whose clients are generated from
/// `(seed, client id)` on demand, so a round costs O(K) whatever N is.
///
/// Ground truth, per user u in cluster g (a hash of the id):
///
///     preference  p_u = center_g + 0.5 * noise          (latent dim 4)
///     item vector v_i ~ N(0, 1)^4, i drawn with density ~ (1 - x)  (popular ids first)
///     dense x ~ N(0, 1)^4
///     logit = 1.5 * p_u . v_i / 2 + w_g . x + b_g       (w_g, b_g differ per cluster)
///     public attributes a_u = public_g + 0.4 * noise    (4 dims, label-free)
///
/// Clusters differ in both preferences and in how dense features act, so a
/// model per cluster (FEL's leaves) has something to gain. Features: 4 dense,
/// sparse `[item, user row]`. Samples are in time order (the last 10 % test).
public struct SyntheticClients: ClientSource {
    public let config: SyntheticClientsConfig
    static let latent = 4, publicDim = 4
    public init(config: SyntheticClientsConfig) { self.config = config }

    public var population: Int { config.population }
    public var denseFeatures: Int { 4 }
    public var tableRows: [Int] { [config.items, config.userRows] }
    public var describe: String {
        "synthetic: \(config.population) clients, \(config.samplesPerClient) samples each, \(config.clusters) clusters, \(config.partition)"
    }

    // Streams of the counter-based RNG.
    enum S: UInt64 { case cluster = 1, center, pub, pref, item, itemVec, dense, label, count, weight, bias, iid, dirichlet, mix, pubNoise }

    func u(_ s: S, _ index: UInt64) -> Double { Double(StrataRNG.uniform(seed: config.seed, stream: s.rawValue, index: index)) }
    func n(_ s: S, _ index: UInt64) -> Double { Double(StrataRNG.normal(seed: config.seed, stream: s.rawValue, index: index)) }

    /// The ground-truth cluster of user `user`.
    public func cluster(ofUser user: Int) -> Int {
        Int(StrataRNG.hash(seed: config.seed, stream: S.cluster.rawValue, index: UInt64(user)) % UInt64(max(config.clusters, 1)))
    }

    /// A virtual user of cluster g, keyed by `key` (Dirichlet mixtures draw these).
    func preference(cluster g: Int, key: UInt64) -> [Double] {
        (0..<Self.latent).map { l in 1.5 * n(.center, UInt64(g * Self.latent + l)) + 0.5 * n(.pref, key &* 8 &+ UInt64(l)) }
    }

    func sampleCount(_ c: Int) -> Int {
        var m = config.samplesPerClient
        if config.sampleSpread > 0 {
            let f = 1 - config.sampleSpread + 2 * config.sampleSpread * u(.count, UInt64(c))
            m = max(2, Int((Double(m) * f).rounded()))
        }
        return m
    }

    public func trainCount(client c: Int) -> Int {
        let m = sampleCount(c)
        return m - ClientData.testCount(m, fraction: config.testFraction)
    }

    public func data(client c: Int) throws -> ClientData {
        guard c >= 0, c < config.population else { throw ClientDataError("client \(c) outside the population \(config.population)") }
        let cfg = config
        let m = sampleCount(c)
        let ownKey = UInt64(c) << 20
        let ownPref = preference(cluster: cluster(ofUser: c), key: ownKey)
        var mix: [Double] = []
        if case .dirichlet(let alpha) = cfg.partition { mix = dirichlet(alpha: alpha, client: c) }
        var dense = [Float](), ids = [Int32](), labels = [Float]()
        dense.reserveCapacity(m * 4); ids.reserveCapacity(m * 2); labels.reserveCapacity(m)
        for j in 0..<m {
            let key = UInt64(c) << 20 | UInt64(j)
            // Whose sample this is: the partitioner's choice.
            let g: Int, pref: [Double]
            switch cfg.partition {
            case .natural:
                g = cluster(ofUser: c); pref = ownPref
            case .iid:
                let user = Int(StrataRNG.hash(seed: cfg.seed, stream: S.iid.rawValue, index: key) % UInt64(cfg.population))
                g = cluster(ofUser: user); pref = preference(cluster: g, key: UInt64(user) << 20)
            case .dirichlet:
                g = pick(mix, u(.mix, key))
                pref = preference(cluster: g, key: key | 1 << 63)
            }
            let x = u(.item, key)
            let item = min(cfg.items - 1, Int(Double(cfg.items) * (1 - (1 - x).squareRoot())))
            var logit = n(.bias, UInt64(g)) * 0.5
            var dot = 0.0
            for l in 0..<Self.latent { dot += pref[l] * n(.itemVec, UInt64(item * Self.latent + l)) }
            logit += 1.5 * dot / 2
            for f in 0..<4 {
                let v = n(.dense, key &* 4 &+ UInt64(f))
                dense.append(Float(v))
                logit += n(.weight, UInt64(g * 4 + f)) * v
            }
            let p = 1 / (1 + exp(-logit))
            labels.append(u(.label, key) < p ? 1 : 0)
            ids.append(Int32(item))
            ids.append(Int32(c % cfg.userRows))
        }
        return ClientData(timeOrdered: ClientSamples(count: m, dense: dense, ids: ids, labels: labels),
                          testFraction: cfg.testFraction, denseFeatures: 4, idsPerSample: 2)
    }

    /// Cluster proportions of client c under Dirichlet(alpha): normalised Gamma(alpha) draws.
    public func dirichlet(alpha: Double, client c: Int) -> [Double] {
        var rng = StrataRNG(seed: StrataRNG.hash(seed: config.seed, stream: S.dirichlet.rawValue, index: UInt64(c)))
        let g = (0..<max(config.clusters, 1)).map { _ in Gamma.sample(shape: alpha, rng: &rng) }
        let s = g.reduce(0, +)
        return s > 0 ? g.map { $0 / s } : g.map { _ in 1 / Double(g.count) }
    }

    func pick(_ p: [Double], _ x: Double) -> Int {
        var acc = 0.0
        for (i, v) in p.enumerated() { acc += v; if x < acc { return i } }
        return p.count - 1
    }

    /// The client's dominant cluster (its own under natural; the largest share under Dirichlet).
    public func trueGroup(client c: Int) -> Int? {
        switch config.partition {
        case .natural: return cluster(ofUser: c)
        case .iid: return nil
        case .dirichlet(let a):
            let p = dirichlet(alpha: a, client: c)
            return p.indices.max { p[$0] < p[$1] }
        }
    }

    public func publicFeatures(client c: Int) -> [Double] {
        var w = [Double](repeating: 0, count: max(config.clusters, 1))
        switch config.partition {
        case .natural: w[cluster(ofUser: c)] = 1
        case .iid: for i in w.indices { w[i] = 1 / Double(w.count) }
        case .dirichlet(let a): w = dirichlet(alpha: a, client: c)
        }
        return (0..<Self.publicDim).map { d in
            var v = 0.0
            for (g, share) in w.enumerated() where share > 0 { v += share * 2 * n(.pub, UInt64(g * Self.publicDim + d)) }
            return v + 0.4 * n(.pubNoise, UInt64(c) &* 8 &+ UInt64(d))
        }
    }
}

/// Gamma(shape, 1) variates by Marsaglia-Tsang (shape < 1 by the boost u^(1/shape)).
public enum Gamma {
    public static func sample(shape a: Double, rng: inout StrataRNG) -> Double {
        func uniform() -> Double { (Double(rng.next() >> 11) + 0.5) * 0x1p-53 }
        func normal() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()) }
        if a < 1 { return sample(shape: a + 1, rng: &rng) * pow(uniform(), 1 / a) }
        let d = a - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0, v = 0.0
            repeat { x = normal(); v = 1 + c * x } while v <= 0
            v = v * v * v
            let uu = uniform()
            if log(uu) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }

    /// Dirichlet(alpha, ..., alpha) of `count` parts. Works in log space: for
    /// alpha far below 1 (RF^2's 0.005) u^(1/alpha) underflows to zero in
    /// every part, so log G = log Gamma(alpha + 1) + log(u) / alpha is
    /// normalised by log-sum-exp instead.
    public static func dirichlet(alpha a: Double, count: Int, rng: inout StrataRNG) -> [Double] {
        let logs: [Double] = (0..<count).map { _ in
            if a >= 1 { return log(sample(shape: a, rng: &rng)) }
            let g = sample(shape: a + 1, rng: &rng)
            let u = (Double(rng.next() >> 11) + 0.5) * 0x1p-53
            return log(g) + log(u) / a
        }
        let top = logs.max() ?? 0
        let e = logs.map { exp($0 - top) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}
