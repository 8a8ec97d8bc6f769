import Collectives
import Foundation
import Tensors

/// The server's side of one federation: its global model, strategy state,
/// client sampling, the device model's bookkeeping and the aggregation.
/// Runs rounds through a `RoundEngine` (its task `taskIndex`); hosts need
/// nothing of this.
public final class Federation {
    public let name: String
    public let config: FederationConfig
    public let source: ClientSource
    public let engine: RoundEngine
    public let taskIndex: Int
    /// The clients this federation samples from (nil: the whole population).
    public let members: [Int]?
    public let global: FlatBuffer<Float>
    /// The server's step (the config's strategy unless replaced).
    public var serverRule: ServerUpdateRule
    /// Replaces uniform sampling when set: (round, K) -> the clients to ask
    /// (a strategy that selects by device or by utility plugs in here).
    public var selectClients: ((Int, Int) -> [Int])?
    let acc: FlatBuffer<Float>
    let flopsPerSample: Double
    /// Simulated time and energy so far.
    public private(set) var simSeconds = 0.0
    public private(set) var simJoules = 0.0
    /// Clients the round hands out, and their per-client config (pluggable: FedGPO chooses per client).
    public var configure: (Int, Int) -> ClientRoundConfig
    /// When clients train different parts of the model (HeteroFL's narrower
    /// sub-models): the (start, count) runs of the flat vector client c's model
    /// holds. Aggregation then averages each parameter over the clients that
    /// hold it (masked), not over every participant.
    public var coverage: ((Int) -> [Int])?
    /// Client c's model on its phone, when it is not the whole global model:
    /// its parameters (what goes down and up) and training FLOPs per sample.
    public var clientModel: ((Int) -> (parameters: Int, flopsPerSample: Double))?
    private var covered: FlatBuffer<Float>?
    private var epochOrder = EpochOrder()

    public init(name: String, config: FederationConfig, source: ClientSource, engine: RoundEngine, taskIndex: Int,
                initial: [Float], flopsPerSample: Double, members: [Int]? = nil) {
        self.name = name
        self.config = config
        self.source = source
        self.engine = engine
        self.taskIndex = taskIndex
        self.members = members
        self.flopsPerSample = flopsPerSample
        let g = FlatBuffer<Float>(count: initial.count)
        for i in initial.indices { g.pointer[i] = initial[i] }
        global = g
        serverRule = ServerOptimizer(strategy: config.strategy, parameters: initial.count)
        acc = FlatBuffer(count: initial.count)
        var base = config.client
        base.proximalMu = Double(config.strategy.proximalMu)
        configure = { _, _ in base }
    }

    public var parameterCount: Int { global.count }
    var poolSize: Int { members?.count ?? source.population }

    /// The K clients of `round` (stream keeps federations' draws apart).
    public func sample(round: Int, count k: Int, stream: UInt64) -> [Int] {
        let picks: [Int]
        switch config.sampling {
        case .uniform:
            picks = ClientSampler.sample(min(k, poolSize), of: poolSize, seed: config.seed, round: round, stream: stream)
        case .epoch:
            picks = epochOrder.round(round, count: k, of: poolSize, seed: config.seed, stream: stream)
        }
        guard let members else { return picks }
        return picks.map { members[$0] }
    }

    /// One round: sample, simulate the phones, train, aggregate, step.
    public func round(_ r: Int, clients k: Int, stream: UInt64, payload: (Int) -> [Float] = { _ in [] }) -> RoundRecord {
        finishRound(startRound(r, clients: k, stream: stream), payload: payload)
    }

    /// A round's second half: results in (in participant order), aggregate,
    /// step, and its record. Every other round of this federation must
    /// finish before the next starts; other federations' may run between.
    public func finishRound(_ p: PendingRound, payload: (Int) -> [Float] = { _ in [] }) -> RoundRecord {
        let wall0 = monotonicSeconds()
        let bytes0 = engine.federatedBytes()
        let r = p.round, k = p.count, stream = p.stream
        let sampled = p.sampled, trained = p.trained, joules = p.joules, latency = p.latency
        acc.zero()
        if coverage != nil {
            if covered == nil { covered = FlatBuffer(count: parameterCount) }
            covered!.zero()
        }
        var totalWeight = 0.0, lossSum = 0.0, samples = 0, clipped = 0
        var participants: [Int] = [], failures: [RoundRecord.Failure] = []
        let n = parameterCount
        engine.finishRound(p.started, payload: payload) { _, result, update in
            guard let update else {
                let why: String
                switch result.outcome { case .failed(let m): why = m; default: why = "non-finite update" }
                failures.append(.init(client: result.client, reason: why))
                return
            }
            let packed = result.packedCount
            var w = Double(result.samples)
            if let dp = config.dp {
                if dp.clipInPlace(update, count: packed) > dp.clip { clipped += 1 }
                w = 1
            }
            var at = 0
            for s in stride(from: 0, to: result.segments.count, by: 2) {
                BLAS.axpy(n: result.segments[s + 1], alpha: Float(w), x: update + at, y: acc.pointer + result.segments[s])
                at += result.segments[s + 1]
            }
            totalWeight += w
            if let runs = coverage?(result.client), let cov = covered?.pointer {
                for s in stride(from: 0, to: runs.count, by: 2) { for i in runs[s]..<(runs[s] + runs[s + 1]) { cov[i] += Float(w) } }
            }
            lossSum += result.loss * Double(result.samples)
            samples += result.samples
            participants.append(result.client)
        }
        let noUpdate = participants.isEmpty
        if !noUpdate {
            if let cov = covered?.pointer, coverage != nil {
                for i in 0..<n { acc.pointer[i] = cov[i] > 0 ? acc.pointer[i] / cov[i] : 0 }
            } else {
                let inv = Float(1 / totalWeight)
                for i in 0..<n { acc.pointer[i] *= inv }
            }
            config.dp?.addNoise(acc.pointer, count: n, updates: participants.count, seed: config.seed, round: r &+ Int(stream) << 32)
            serverRule.step(global.pointer, delta: acc.pointer, count: n)
        }
        simSeconds += latency
        simJoules += joules
        let wall = p.wallSeconds + monotonicSeconds() - wall0
        var epsilon: Double?
        if let dp = config.dp {
            epsilon = RDPAccountant.epsilon(q: Double(k) / Double(poolSize), sigma: dp.noiseMultiplier, rounds: r, delta: dp.delta)
        }
        return RoundRecord(federation: name, round: r, sampled: sampled, participants: participants, failures: failures,
                           unavailable: p.unavailable, stragglers: p.stragglers, noUpdate: noUpdate, samples: samples,
                           trainLoss: samples > 0 ? lossSum / Double(samples) : nil,
                           simSeconds: latency, simJoules: joules, deviceBytes: p.deviceBytes,
                           mpiBytes: p.mpiBytes + engine.federatedBytes() - bytes0, wallSeconds: wall,
                           clientUpdatesPerSecond: wall > 0 ? Double(trained.count) / wall : 0,
                           epsilon: epsilon, clippedFraction: config.dp == nil || participants.isEmpty ? nil : Double(clipped) / Double(participants.count),
                           eval: nil, evalGroups: nil)
    }

}
