/// RF^2's tier-aware optimizations, each off by default (all off: the "none"
/// baseline fairness is measured against). Per-tier arrays index tier 0 (low),
/// 1 (mid), 2 (high).
public struct TierOptimizations: Sendable, Equatable, Codable {
    /// The low tier never trains (it is still evaluated).
    public var excludeLowTier = false
    /// Over-selection: sample K(1 + x), drop the K x stragglers, low tier first.
    public var overSelect = 0.0
    /// Per tier, the fraction of each update's values a device zeroes at random.
    public var pruneFraction = [0.0, 0.0, 0.0]
    /// Per tier, stochastic quantization of each update to 2^b levels (0: off).
    public var quantBits = [0, 0, 0]
    /// HeteroFL: per tier, the share of the top MLP's hidden units its devices
    /// train (nil: off; e.g. [0.25, 0.5, 1]).
    public var heteroWidths: [Double]?

    public init() {}

    public var isNone: Bool { self == TierOptimizations() }
    /// True when devices change their updates (the task has to know the tiers).
    public var touchesUpdates: Bool { pruneFraction.contains { $0 > 0 } || quantBits.contains { $0 > 0 } }

    /// A short name for tables ("none", "exclude_low", "over_select(0.3)", ...).
    public var name: String {
        var parts: [String] = []
        if excludeLowTier { parts.append("exclude_low") }
        if overSelect > 0 { parts.append("over_select(\(overSelect))") }
        if pruneFraction.contains(where: { $0 > 0 }) { parts.append("prune(\(pruneFraction.map { "\($0)" }.joined(separator: "/")))") }
        if quantBits.contains(where: { $0 > 0 }) { parts.append("quant(\(quantBits.map { "\($0)" }.joined(separator: "/")) bits)") }
        if let w = heteroWidths { parts.append("heterofl(\(w.map { "\($0)" }.joined(separator: "/")))") }
        return parts.isEmpty ? "none" : parts.joined(separator: " + ")
    }

    public func validate() throws {
        if !(overSelect >= 0 && overSelect <= 10) { throw OptError(key: "rf2.over_select", "must be in [0, 10], got \(overSelect)") }
        if pruneFraction.count != TierAssignment.count || pruneFraction.contains(where: { !($0 >= 0 && $0 < 1) }) {
            throw OptError(key: "rf2.prune", "needs 3 fractions in [0, 1), one per tier (low, mid, high), got \(pruneFraction)")
        }
        if quantBits.count != TierAssignment.count || quantBits.contains(where: { $0 < 0 || $0 > 16 }) {
            throw OptError(key: "rf2.quant_bits", "needs 3 bit counts in 0...16 (0 = off), one per tier, got \(quantBits)")
        }
        if let w = heteroWidths, w.count != TierAssignment.count || w.contains(where: { !($0 > 0 && $0 <= 1) }) {
            throw OptError(key: "rf2.heterofl", "needs 3 width shares in (0, 1], one per tier (low, mid, high), got \(w)")
        }
    }
}

/// A config value RF^2 or FedGPO refuses, naming its key.
public struct OptError: Error, CustomStringConvertible, Equatable {
    public var key: String
    public var message: String
    public init(key: String, _ message: String) { self.key = key; self.message = message }
    public var description: String { "\(key): \(message)" }
}
