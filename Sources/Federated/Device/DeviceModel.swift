import Foundation
import Tensors

/// One class of phone.
public struct DeviceTier: Sendable, Equatable, Codable {
    public var name: String
    /// Share of the population in this tier.
    public var share: Double
    /// Sustained on-device training throughput, GFLOP/s.
    public var gflops: Double
    public var downMbps: Double
    public var upMbps: Double
    /// Power while training, while transferring, and idle (waiting for the round), W.
    public var trainWatts: Double
    public var netWatts: Double
    public var idleWatts: Double
    /// Probability that the phone is available (charging, idle, on Wi-Fi) in a round.
    public var availability: Double

    public init(name: String, share: Double, gflops: Double, downMbps: Double, upMbps: Double,
                trainWatts: Double, netWatts: Double, idleWatts: Double, availability: Double) {
        self.name = name; self.share = share; self.gflops = gflops; self.downMbps = downMbps; self.upMbps = upMbps
        self.trainWatts = trainWatts; self.netWatts = netWatts; self.idleWatts = idleWatts; self.availability = availability
    }
}

/// Simulated phones: tiers, per-round variance, time and energy per client.
///
/// Default tiers (our choice; see docs/DESIGN.md "Federated"): three classes as
/// in AutoFL (Kim & Wu, MICRO 2021) and FedGPO, whose experiments use a
/// high-end, a mid-range and a low-end Android phone and report that the
/// classes differ by several x in training speed and that per-round
/// interference (co-running apps) and network draws dominate stragglers. We
/// did not have those papers' tables here, so the figures are round numbers in
/// the range of published phone measurements, not copied from a table:
/// CPU training throughput 2-12 GFLOP/s (MLPerf Mobile-class SoCs reach tens of
/// GFLOP/s in inference; training on the CPU is several x lower), Wi-Fi/LTE
/// links of 5-50 Mbit/s down and 2-20 up, 2-4.5 W while training, about 1 W
/// for the radio, 0.3-0.5 W idle. Availability 0.6-0.9 models FL's
/// "idle, charging, unmetered" eligibility. All of it is configurable.
/// docs/DESIGN.md tabulates which defaults rest on a published measurement
/// (the links and idle power) and which remain our choice.
///
/// Variance per (client, round): compute slows by a log-normal factor
/// (sigma 0.25) and, with probability `interference`, by a further 1.5-3x (a
/// co-running app); each link draws its bandwidth log-normal (sigma 0.5).
public struct DeviceModel: Sendable, Equatable, Codable {
    public var tiers: [DeviceTier]
    public var interference: Double
    public var seed: UInt64

    public init(tiers: [DeviceTier] = DeviceModel.defaultTiers, interference: Double = 0.2, seed: UInt64 = 1) {
        self.tiers = tiers
        self.interference = interference
        self.seed = seed
    }

    public static let defaultTiers = [
        DeviceTier(name: "high", share: 0.3, gflops: 12, downMbps: 50, upMbps: 20, trainWatts: 4.5, netWatts: 1.2, idleWatts: 0.5, availability: 0.9),
        DeviceTier(name: "mid", share: 0.4, gflops: 6, downMbps: 20, upMbps: 8, trainWatts: 3.0, netWatts: 1.0, idleWatts: 0.4, availability: 0.8),
        DeviceTier(name: "low", share: 0.3, gflops: 2, downMbps: 5, upMbps: 2, trainWatts: 2.0, netWatts: 0.8, idleWatts: 0.3, availability: 0.6),
    ]

    /// Refuses tiers the simulation cannot use, naming the key.
    public func validate() throws {
        if tiers.isEmpty { throw FLConfigError(key: "device.tiers", "needs at least one tier") }
        for t in tiers where !(t.gflops > 0 && t.downMbps > 0 && t.upMbps > 0 && t.share >= 0) {
            throw FLConfigError(key: "device.tiers", "tier \(t.name): speeds must be positive and the share not negative")
        }
        for t in tiers where !(t.trainWatts >= 0 && t.netWatts >= 0 && t.idleWatts >= 0) {
            throw FLConfigError(key: "device.tiers", "tier \(t.name): power must not be negative")
        }
        for t in tiers where !(0...1).contains(t.availability) {
            throw FLConfigError(key: "device.tiers", "tier \(t.name): availability must be in 0...1, got \(t.availability)")
        }
        // tier(of:) picks by share / total: every share zero would send everyone to the last tier.
        if !tiers.contains(where: { $0.share > 0 }) { throw FLConfigError(key: "device.tiers", "at least one tier needs a positive share") }
        if Set(tiers.map(\.name)).count != tiers.count || tiers.contains(where: { $0.name.isEmpty }) {
            throw FLConfigError(key: "device.tiers", "tier names must be non-empty and differ (they name the eval groups)")
        }
        if !(0...1).contains(interference) { throw FLConfigError(key: "device.interference", "must be in 0...1, got \(interference)") }
    }

    /// The tier of a client: fixed for the run (a phone does not change class).
    public func tier(of client: Int) -> Int {
        let u = Double(StrataRNG.uniform(seed: seed, stream: 0xDE_0001, index: UInt64(client)))
        var acc = 0.0
        let total = tiers.reduce(0) { $0 + $1.share }
        for (i, t) in tiers.enumerated() { acc += t.share / total; if u < acc { return i } }
        return tiers.count - 1
    }

    /// Whether the client can take part in `round`.
    public func available(client: Int, round: Int) -> Bool {
        let t = tiers[tier(of: client)]
        return Double(StrataRNG.uniform(seed: seed, stream: 0xDE_0002, index: key(client, round))) < t.availability
    }

    func key(_ client: Int, _ round: Int) -> UInt64 { UInt64(client) << 24 ^ UInt64(round) }

    /// One client's simulated round: compute `flops`, download `downBytes`, upload `upBytes`.
    public func simulate(client: Int, round: Int, flops: Double, downBytes: Int, upBytes: Int) -> DeviceCost {
        let ti = tier(of: client), t = tiers[ti]
        let k = key(client, round)
        func normal(_ s: UInt64) -> Double { Double(StrataRNG.normal(seed: seed, stream: s, index: k)) }
        var slow = exp(0.25 * normal(0xDE_0010))
        if Double(StrataRNG.uniform(seed: seed, stream: 0xDE_0011, index: k)) < interference {
            slow *= 1.5 + 1.5 * Double(StrataRNG.uniform(seed: seed, stream: 0xDE_0012, index: k))
        }
        let down = t.downMbps * exp(0.5 * normal(0xDE_0013)) * 1e6 / 8
        let up = t.upMbps * exp(0.5 * normal(0xDE_0014)) * 1e6 / 8
        let compute = flops * slow / (t.gflops * 1e9)
        let comm = Double(downBytes) / down + Double(upBytes) / up
        return DeviceCost(tier: ti, computeSeconds: compute, commSeconds: comm,
                          activeJoules: compute * t.trainWatts + comm * t.netWatts, idleWatts: t.idleWatts)
    }
}

/// A client's simulated cost in one round.
public struct DeviceCost: Sendable, Equatable, Codable {
    public var tier: Int
    public var computeSeconds: Double
    public var commSeconds: Double
    public var activeJoules: Double
    public var idleWatts: Double
    public var seconds: Double { computeSeconds + commSeconds }
}
