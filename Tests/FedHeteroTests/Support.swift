import Collectives
import FedHetero
import Federated
import Foundation

/// A small synthetic population with clusters (users of a cluster like the same items).
func source(population: Int = 300, samples: Int = 32, clusters: Int = 4, items: Int = 200) -> SyntheticClients {
    var c = SyntheticClientsConfig()
    c.population = population
    c.samplesPerClient = samples
    c.clusters = clusters
    c.items = items
    c.userRows = 50
    c.seed = 7
    return SyntheticClients(config: c)
}

func smallConfig(rounds: Int = 3, k: Int = 6) -> FederationConfig {
    var f = FederationConfig()
    f.seed = 11
    f.rounds = rounds
    f.clientsPerRound = k
    f.model.dim = 4
    f.model.bottomHidden = [8]
    f.model.topHidden = [8]
    f.maxBatch = 32
    f.evalEvery = rounds
    f.evalClients = 120
    f.client = ClientRoundConfig(epochs: 1, batch: 0, learningRate: 1.0)
    f.strategy = .fedAdagrad(eta: 0.1, beta1: 0, tau: 1e-9)
    return f
}

/// Runs a tiered run on one in-process rank and returns its summary and round records.
func tieredRun(_ opt: TierOptimizations, rounds: Int = 3) throws -> (TieredSummary, [[String: Any]], TierAssignment) {
    let s = source(population: 120)
    var tc = TierConfig()
    tc.mapping = .dirichlet(alpha: 0.005)
    tc.optimizations = opt
    let dir = NSTemporaryDirectory() + "fedhetero-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let summary = try TieredRun.run(comm: LocalCommunicator(), config: smallConfig(rounds: rounds), tiers: tc, source: s, directory: dir)!
    let lines = try String(contentsOfFile: dir + "/rounds.jsonl", encoding: .utf8).split(separator: "\n")
    let recs = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    guard FileManager.default.fileExists(atPath: dir + "/tier_auc.svg") else { throw TestFailure("no tier_auc.svg") }
    return (summary, recs, try TierAssignment.build(tc.mapping, source: s, seed: tc.seed))
}

struct TestFailure: Error { let why: String; init(_ why: String) { self.why = why } }
