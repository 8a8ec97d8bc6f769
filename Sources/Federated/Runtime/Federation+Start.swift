import Collectives
import Foundation
import Tensors

/// A federation's round between its start and its finish: who was sampled,
/// what the device model made of them, and the engine's started round.
public struct PendingRound {
    public let round: Int
    /// K asked for (the DP accountant's sampling rate).
    let count: Int
    let stream: UInt64
    let sampled: [Int]
    let unavailable: [Int], stragglers: [Int], trained: [Int]
    let joules: Double, latency: Double, deviceBytes: Int
    let started: StartedRound
    /// Spent in the start: its own broadcasts, so a record counts only its own
    /// bytes and time while other federations' rounds run between its halves.
    let mpiBytes: Int
    let wallSeconds: Double
}

extension Federation {
    /// A round's first half: sample, simulate the phones, send the round's
    /// header and model to the hosts (who start training); the round's
    /// participants go to the hosts from position `firstPosition` on.
    public func startRound(_ r: Int, clients k: Int, stream: UInt64, firstPosition: Int = 0) -> PendingRound {
        let wall0 = monotonicSeconds()
        let bytes0 = engine.federatedBytes()
        let sampled = selectClients?(r, k) ?? sample(round: r, count: k, stream: stream)
        var unavailable: [Int] = [], stragglers: [Int] = [], trained: [Int] = []
        // In sampled order: a dictionary's iteration order changes between runs, and so would the joules' last bits.
        var costs: [DeviceCost] = []
        var joules = 0.0, latency = 0.0, deviceBytes = 0
        for c in sampled {
            let size = clientModel?(c) ?? (parameters: parameterCount, flopsPerSample: flopsPerSample)
            let modelBytes = size.parameters * 4
            guard let dev = config.device else { trained.append(c); deviceBytes += 2 * modelBytes; continue }
            if !dev.available(client: c, round: r) { unavailable.append(c); continue }
            let cfg = configure(r, c)
            let cost = dev.simulate(client: c, round: r,
                                    flops: Double(cfg.epochs * source.trainCount(client: c)) * size.flopsPerSample,
                                    downBytes: modelBytes, upBytes: modelBytes)
            if let d = config.deadlineSeconds, cost.seconds > d {
                // Works until the deadline, then its update is too late: not trained here.
                stragglers.append(c)
                joules += cost.activeJoules * d / cost.seconds
                deviceBytes += modelBytes
                latency = max(latency, d)
                continue
            }
            costs.append(cost)
            trained.append(c)
            latency = max(latency, cost.seconds)
            deviceBytes += 2 * modelBytes
        }
        for cost in costs { joules += cost.activeJoules + cost.idleWatts * max(0, latency - cost.seconds) }
        let started = engine.startRound(task: taskIndex, round: r, clients: trained,
                                        configs: trained.map { configure(r, $0) }, global: global, firstPosition: firstPosition)
        return PendingRound(round: r, count: k, stream: stream, sampled: sampled, unavailable: unavailable,
                            stragglers: stragglers, trained: trained, joules: joules, latency: latency,
                            deviceBytes: deviceBytes, started: started,
                            mpiBytes: engine.federatedBytes() - bytes0, wallSeconds: monotonicSeconds() - wall0)
    }
}
