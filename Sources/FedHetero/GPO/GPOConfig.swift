import Federated

/// One choice of FedGPO's grid: local batch B (0: full batch), local epochs E, participants K.
public struct GPOAction: Sendable, Equatable, Codable, CustomStringConvertible {
    public var batch: Int, epochs: Int, clients: Int
    public init(batch: Int, epochs: Int, clients: Int) { self.batch = batch; self.epochs = epochs; self.clients = clients }
    public var description: String { "(B=\(batch == 0 ? "full" : "\(batch)"), E=\(epochs), K=\(clients))" }
}

/// FedGPO's settings (arXiv 2211.16669; our choices where the abstract gives none, see docs/DESIGN.md).
public struct GPOConfig: Sendable, Equatable, Codable {
    public var batches = [8, 32, 0]
    public var epochs = [1, 2, 4]
    public var clients = [5, 10, 20]
    /// The fixed setting deployments commonly use (Flower's examples: batch 32, 1 epoch, 10 clients).
    public var common = GPOAction(batch: 32, epochs: 1, clients: 10)
    /// Learning runs before the measured greedy run (the Q-table carries over).
    public var episodes = 6
    public var epsilon = 0.2
    public var learningRate = 0.3
    public var discount = 0.5
    /// Reward when the round's eval logloss rises (quality falls): -penalty x the relative rise x 100.
    public var penalty = 1.0
    /// Target eval AUC for time- and energy-to-target (nil: 0.99 x the common run's final AUC).
    public var targetAUC: Double?
    public init() {}

    public var grid: [GPOAction] {
        batches.flatMap { b in epochs.flatMap { e in clients.map { GPOAction(batch: b, epochs: e, clients: $0) } } }
    }

    public func validate(population: Int) throws {
        if batches.isEmpty || batches.contains(where: { $0 < 0 }) { throw OptError(key: "gpo.batches", "needs batch sizes >= 0 (0 = full)") }
        if epochs.isEmpty || epochs.contains(where: { $0 < 1 }) { throw OptError(key: "gpo.epochs", "needs epochs >= 1") }
        if clients.isEmpty || clients.contains(where: { $0 < 1 || $0 > population }) {
            throw OptError(key: "gpo.clients", "needs K in 1...\(population) (the population)")
        }
        if common.clients < 1 || common.clients > population || common.epochs < 1 || common.batch < 0 {
            throw OptError(key: "gpo.common", "needs [B >= 0, E >= 1, K in 1...\(population)]")
        }
        if episodes < 0 { throw OptError(key: "gpo.episodes", "must be >= 0") }
        if !(epsilon >= 0 && epsilon <= 1) { throw OptError(key: "gpo.epsilon", "must be in [0, 1]") }
        if !(learningRate > 0 && learningRate <= 1) { throw OptError(key: "gpo.lr", "must be in (0, 1]") }
        if !(discount >= 0 && discount < 1) { throw OptError(key: "gpo.discount", "must be in [0, 1)") }
    }
}
