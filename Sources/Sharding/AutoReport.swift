import Foundation

/// What `sharding.type: auto` weighed: every candidate strategy's modelled
/// communication time per step (the alpha-beta model over the profiled
/// batches), or why it was refused, and the one chosen.
public struct AutoReport: Sendable, Equatable {
    public struct Candidate: Sendable, Equatable {
        /// A strategy's name, or "size rule" (a type per table by size: small
        /// tables replicated, the rest table_wise, row-wise over the budget).
        public var name: String
        public var modelledSecondsPerStep: Double?
        public var refused: String?
        public init(name: String, modelledSecondsPerStep: Double?, refused: String?) {
            self.name = name; self.modelledSecondsPerStep = modelledSecondsPerStep; self.refused = refused
        }
    }
    public var chosen: String
    public var candidates: [Candidate]

    public init(chosen: String, candidates: [Candidate]) { self.chosen = chosen; self.candidates = candidates }

    /// One line: the choice and what it beat.
    public var line: String {
        let priced = candidates.compactMap { c in c.modelledSecondsPerStep.map { "\(c.name) \(Self.ms($0))" } }
        let refused = candidates.compactMap { c in c.refused.map { "\(c.name) (\($0))" } }
        return "sharding auto: \(chosen), the least modelled communication time a step; modelled ms/step: "
            + priced.joined(separator: ", ") + (refused.isEmpty ? "" : "; refused: " + refused.joined(separator: "; "))
    }

    static func ms(_ s: Double) -> String { String(format: "%.4f", s * 1e3) }
}
