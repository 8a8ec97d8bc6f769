import Data
import Foundation

/// The test splits of the evaluation clients, held by the server, with each
/// client's groups (device tier, cluster) for per-group quality.
public struct EvalSet {
    public var clients: [Int]
    public var samples: [ClientSamples]
    public var groups: [[String]]

    /// At most `limit` clients, a seeded sample of the population (all when it is smaller).
    public init(source: ClientSource, limit: Int, seed: UInt64, groupsOf: (Int) -> [String]) throws {
        let n = min(limit, source.population)
        clients = ClientSampler.sample(n, of: source.population, seed: seed, round: 0, stream: 0xE7A1).sorted()
        samples = try clients.map { try source.data(client: $0).test }
        // Metrics of no samples would read as logloss 0, AUC 0.5: refuse instead.
        guard samples.contains(where: { $0.count > 0 }) else {
            throw ClientDataError("no evaluation: the \(n) eval clients' test splits are empty (data.test_fraction)")
        }
        groups = clients.map(groupsOf)
    }

    /// Overall and per-group quality of `score` (logits of a client's samples).
    public func evaluate(_ score: (Int, ClientSamples) -> [Float]) -> (overall: Quality, groups: [String: Quality]) {
        var all: [Float] = [], labels: [Float] = []
        var byGroup: [String: ([Float], [Float])] = [:]
        for (i, c) in clients.enumerated() where samples[i].count > 0 {
            let z = score(c, samples[i])
            all += z
            labels += samples[i].labels
            for g in groups[i] {
                byGroup[g, default: ([], [])].0 += z
                byGroup[g, default: ([], [])].1 += samples[i].labels
            }
        }
        return (Quality(logits: all, labels: labels), byGroup.mapValues { Quality(logits: $0.0, labels: $0.1) })
    }
}
