import Federated
import Tensors

/// A task whose devices prune or quantize their updates by tier: wraps the
/// task the clients train and changes the packed update before it leaves the
/// device (on whichever rank hosts the client, so every rank holds the tiers).
public final class TieredTask: FederatedTask {
    public let inner: FederatedTask
    public let tiers: TierAssignment
    public let optimizations: TierOptimizations
    public let seed: UInt64

    public init(inner: FederatedTask, tiers: TierAssignment, optimizations: TierOptimizations, seed: UInt64) {
        self.inner = inner
        self.tiers = tiers
        self.optimizations = optimizations
        self.seed = seed
    }

    public var parameterCount: Int { inner.parameterCount }
    public var needsPayload: Bool { inner.needsPayload }
    public func beginRound(global: UnsafePointer<Float>) { inner.beginRound(global: global) }
    /// Evaluation sends no update, so nothing is pruned or quantized.
    public func evaluate(client: Int, round: Int, global: UnsafePointer<Float>, bins: Int) throws -> EvalStats {
        try inner.evaluate(client: client, round: round, global: global, bins: bins)
    }

    public func train(client: Int, round: Int, config: ClientRoundConfig, global: UnsafePointer<Float>,
                      payload: [Float], update: UnsafeMutablePointer<Float>, segments: inout [Int]) throws -> (samples: Int, loss: Double) {
        let out = try inner.train(client: client, round: round, config: config, global: global, payload: payload,
                                  update: update, segments: &segments)
        let t = tiers.tier(of: client)
        let n = stride(from: 1, to: segments.count, by: 2).reduce(0) { $0 + segments[$1] }
        var rng = StrataRNG(seed: StrataRNG.hash(seed: seed, stream: 0x72F2_0010 | UInt64(round) << 20, index: UInt64(client)))
        if optimizations.pruneFraction[t] > 0 {
            UpdateCompression.prune(update, count: n, fraction: optimizations.pruneFraction[t], rng: &rng)
        }
        if optimizations.quantBits[t] > 0 {
            UpdateCompression.quantize(update, count: n, bits: optimizations.quantBits[t], rng: &rng)
        }
        return out
    }
}

/// RF^2's client selection: who is eligible (the low tier left out) and
/// over-selection (ask K(1 + x), keep the K fastest: low tier dropped first).
public struct TieredSelection {
    public let tiers: TierAssignment
    public let optimizations: TierOptimizations
    public init(tiers: TierAssignment, optimizations: TierOptimizations) {
        self.tiers = tiers
        self.optimizations = optimizations
    }

    /// The clients a round may sample (nil: everyone).
    public var members: [Int]? {
        guard optimizations.excludeLowTier else { return nil }
        return tiers.tiers.indices.filter { tiers.tiers[$0] != 0 }
    }

    /// Clients asked before the drop.
    public func asked(_ k: Int, pool: Int) -> Int {
        min(pool, Int((Double(k) * (1 + optimizations.overSelect)).rounded()))
    }

    /// Keeps K of the over-selected clients: the stragglers dropped are the
    /// lowest tiers first (a stable sort by tier, descending, keeps the
    /// sampled order within a tier); returns them in sampled order.
    public func keep(_ sampled: [Int], k: Int) -> [Int] {
        guard sampled.count > k else { return sampled }
        let ranked = sampled.indices.sorted { (tiers.tier(of: sampled[$0]), -$0) > (tiers.tier(of: sampled[$1]), -$1) }
        return ranked.prefix(k).sorted().map { sampled[$0] }
    }
}
