import Federated
import Foundation

/// FedGPO's state of a round, discretised to 3 x 3 x 3 = 27 states from the
/// round's candidate devices before any of them trains:
/// - model size: parameters < 1e5, < 1e6, else (fixed within a run, it tells
///   runs of different models apart);
/// - runtime conditions: the candidates' mean slowdown against their tier's
///   nominal time for one local epoch (co-running load and bandwidth draws of
///   the device model): < 1.25, < 1.75, else;
/// - data heterogeneity: the coefficient of variation of the candidates'
///   sample counts: < 0.2, < 0.5, else.
public struct RoundState: Sendable, Equatable, Codable {
    public var modelSize: Int, conditions: Int, heterogeneity: Int
    public static let count = 27
    public var index: Int { (modelSize * 3 + conditions) * 3 + heterogeneity }

    static func bucket(_ x: Double, _ cuts: [Double]) -> Int { cuts.firstIndex { x < $0 } ?? cuts.count }

    public init(modelSize: Int, conditions: Int, heterogeneity: Int) {
        self.modelSize = modelSize; self.conditions = conditions; self.heterogeneity = heterogeneity
    }

    public static func observe(candidates: [Int], round: Int, device: DeviceModel, source: ClientSource,
                               parameters: Int, flopsPerSample: Double) -> RoundState {
        let bytes = parameters * 4
        var slow = 0.0, counts: [Double] = []
        for c in candidates {
            let n = source.trainCount(client: c)
            counts.append(Double(n))
            let flops = Double(n) * flopsPerSample
            let t = device.tiers[device.tier(of: c)]
            let nominal = flops / (t.gflops * 1e9) + Double(bytes) * 8 / (t.downMbps * 1e6) + Double(bytes) * 8 / (t.upMbps * 1e6)
            let cost = device.simulate(client: c, round: round, flops: flops, downBytes: bytes, upBytes: bytes)
            slow += cost.seconds / nominal
        }
        let k = Double(max(candidates.count, 1))
        let mean = counts.reduce(0, +) / k
        let sd = (counts.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / k).squareRoot()
        return RoundState(modelSize: bucket(Double(parameters), [1e5, 1e6]), conditions: bucket(slow / k, [1.25, 1.75]),
                          heterogeneity: bucket(mean > 0 ? sd / mean : 0, [0.2, 0.5]))
    }
}
