import Tensors

/// What a client does in a round (Flower's `configure_fit` result): the same
/// for every client of a round by default, but set per client so a strategy
/// (FedGPO's per-device B and E) can choose.
public struct ClientRoundConfig: Sendable, Equatable, Codable {
    public var epochs: Int
    /// Samples a step; 0 = the client's whole data.
    public var batch: Int
    public var learningRate: Double
    public var proximalMu: Double

    public init(epochs: Int, batch: Int, learningRate: Double, proximalMu: Double = 0) {
        self.epochs = epochs
        self.batch = batch
        self.learningRate = learningRate
        self.proximalMu = proximalMu
    }
}

/// A model clients train: every rank holds one instance per task, reused for
/// each client it hosts. The runtime moves flat parameter vectors, so a task
/// is anything that turns (global parameters, client, config) into an update.
public protocol FederatedTask: AnyObject {
    var parameterCount: Int { get }
    /// True when the server sends each client a payload of floats before it
    /// trains (FEL's over-arch: the frozen leaves' outputs for its samples).
    var needsPayload: Bool { get }
    /// A round starts: `global` holds the round's model and stays unchanged
    /// until the round's clients are done.
    func beginRound(global: UnsafePointer<Float>)
    /// Trains client `client` from `global`; writes `global - local` packed
    /// into `update` (the values of `segments`, (start, count) pairs of the
    /// flat vector; the rest is zero); returns the samples trained on and the
    /// mean training loss.
    func train(client: Int, round: Int, config: ClientRoundConfig, global: UnsafePointer<Float>,
               payload: [Float], update: UnsafeMutablePointer<Float>, segments: inout [Int]) throws -> (samples: Int, loss: Double)
    /// Scores client `client`'s own test split with `global` (the round's
    /// model, after `beginRound`) on the device and returns only its
    /// statistics, with a score histogram of `bins` bins.
    func evaluate(client: Int, round: Int, global: UnsafePointer<Float>, bins: Int) throws -> EvalStats
}

extension FederatedTask {
    public func beginRound(global: UnsafePointer<Float>) {}
    /// A task without on-client evaluation (FEL's over-arch needs the server's
    /// payload to score): asking one is a failure the round records.
    public func evaluate(client: Int, round: Int, global: UnsafePointer<Float>, bins: Int) throws -> EvalStats {
        throw ClientDataError("\(type(of: self)) does not evaluate on clients")
    }
}

/// The Strata DLRM on a `ClientSource`'s clients.
public final class DLRMTask: FederatedTask {
    public let source: ClientSource
    public let model: ClientModel
    public let seed: UInt64
    /// Clients that throw on purpose (tests and drills of accept_failures).
    public let failingClients: Set<Int>
    /// Clients restricted to this set when non-nil (a leaf federation's cluster);
    /// checked so a wrong assignment fails loudly.
    public init(source: ClientSource, model: ClientModel, seed: UInt64, failingClients: Set<Int> = []) {
        self.source = source
        self.model = model
        self.seed = seed
        self.failingClients = failingClients
    }

    public var parameterCount: Int { model.parameterCount }
    public var needsPayload: Bool { false }
    public func beginRound(global: UnsafePointer<Float>) { model.sync(to: global) }

    public func train(client: Int, round: Int, config: ClientRoundConfig, global: UnsafePointer<Float>,
                      payload: [Float], update: UnsafeMutablePointer<Float>, segments: inout [Int]) throws -> (samples: Int, loss: Double) {
        if failingClients.contains(client) { throw ClientDataError("client \(client): injected failure") }
        let data = try source.data(client: client).train
        guard data.count > 0 else { throw ClientDataError("client \(client) has no training samples") }
        let loss = model.train(from: global, data: data, epochs: config.epochs, batch: config.batch,
                               learningRate: Float(config.learningRate), proximalMu: Float(config.proximalMu),
                               shuffleSeed: StrataRNG.hash(seed: seed, stream: UInt64(round), index: UInt64(client)),
                               update: update, segments: &segments)
        return (data.count, loss)
    }

    /// The model equals `global` here: `beginRound` synced it and `train`
    /// restores what a client moved. The injected failures fail here too.
    public func evaluate(client: Int, round: Int, global: UnsafePointer<Float>, bins: Int) throws -> EvalStats {
        if failingClients.contains(client) { throw ClientDataError("client \(client): injected failure") }
        let test = try source.data(client: client).test
        return EvalStats(logits: model.logits(test), labels: test.labels, bins: bins)
    }
}
