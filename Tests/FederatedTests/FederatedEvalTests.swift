import Collectives
import Data
import Federated
import XCTest

/// On-client federated evaluation: what the clients return, how the server
/// weights it, and that it agrees with the central eval of the same samples.
final class FederatedEvalTests: XCTestCase {
    /// Records of a plain FL run on `ranks` in-process ranks.
    func records(ranks: Int, config: FederationConfig, source: ClientSource) throws -> [RoundRecord] {
        try LocalCommunicator.run(worldSize: ranks) { comm in
            try FederatedRun.run(comm: comm, config: config, source: source, directory: nil)?.records
        }[0]!
    }

    /// Every client evaluated centrally and on the clients: the same count,
    /// logloss and NE to 1e-9, the AUC within the histogram's tie bound,
    /// per cluster too; and the sums are the same bytes on 1 and 3 ranks.
    func testAllClientsEqualsCentralEval() throws {
        let source = tinySource(population: 30, spread: 0.5)
        var cfg = tinyConfig(rounds: 2, k: 6)
        cfg.evalEvery = 1
        cfg.evalClients = 30
        cfg.federatedEvalClients = 30
        let one = try records(ranks: 1, config: cfg, source: source)
        let three = try records(ranks: 3, config: cfg, source: source)
        XCTAssertEqual(one.count, 2)
        for (r, r3) in zip(one, three) {
            let central = try XCTUnwrap(r.eval), fe = try XCTUnwrap(r.federatedEval)
            let fed = try XCTUnwrap(fe.quality)
            XCTAssertEqual(Set(fe.evaluated), Set(0..<30))
            XCTAssertEqual(fed.count, central.count)
            XCTAssertEqual(fed.logloss, central.logloss, accuracy: 1e-9)
            XCTAssertEqual(fed.ne, central.ne, accuracy: 1e-9)
            let bound = try XCTUnwrap(fe.aucTieBound)
            XCTAssertLessThan(bound, 0.01, "1000 bins should tie few pairs")
            XCTAssertEqual(fed.auc, central.auc, accuracy: bound + 1e-12)
            let groups = try XCTUnwrap(r.evalGroups)
            XCTAssertFalse(groups.isEmpty)
            XCTAssertEqual(Set(fe.groups.keys), Set(groups.keys))
            for (g, q) in groups { XCTAssertEqual(fe.groups[g]!.logloss, q.logloss, accuracy: 1e-9, g) }
            XCTAssertEqual(r3.federatedEval?.quality, fed, "the server sums in sampled order on any world size")
            XCTAssertEqual(r3.federatedEval?.groups, fe.groups)
            XCTAssertEqual(fe.mpiBytes, 0, "a world of one evaluates in place")
            XCTAssertEqual(r3.federatedEval?.evaluated, fe.evaluated)
        }
        XCTAssertGreaterThan(three[0].federatedEval!.mpiBytes, 0, "the model out and the statistics back cross the ledger")
    }

    /// The aggregate weights each client by its samples: a 1-sample client and
    /// a 9-sample client pool to the logloss of their 10 samples, not the mean
    /// of the two clients' loglosses.
    func testAggregationWeightsBySampleCount() throws {
        let aLogits: [Float] = [2.5], aLabels: [Float] = [0]
        let bLogits: [Float] = [-1, 0.3, 2, 1.1, -0.4, 0.9, -2, 0.2, 1.7]
        let bLabels: [Float] = [0, 1, 1, 0, 0, 1, 0, 1, 1]
        var merged = EvalStats(logits: aLogits, labels: aLabels, bins: 1000)
        merged.merge(EvalStats(logits: bLogits, labels: bLabels, bins: 1000))
        let q = try XCTUnwrap(merged.quality)
        let pooled = Quality(logits: aLogits + bLogits, labels: aLabels + bLabels)
        XCTAssertEqual(q.count, 10)
        XCTAssertEqual(q.logloss, pooled.logloss, accuracy: 1e-12)
        XCTAssertEqual(q.ne, pooled.ne, accuracy: 1e-12)
        let unweighted = (Quality(logits: aLogits, labels: aLabels).logloss + Quality(logits: bLogits, labels: bLabels).logloss) / 2
        XCTAssertGreaterThan(abs(unweighted - pooled.logloss), 0.1, "the check must tell the two weightings apart")
        // Distinct probabilities fall in distinct bins: the AUC is exact.
        XCTAssertEqual(merged.histogram.tieBound, 0)
        XCTAssertEqual(q.auc, pooled.auc, accuracy: 1e-12)
        // Two bins tie most pairs; the bound still holds and is not zero.
        var coarse = EvalStats(logits: aLogits + bLogits, labels: aLabels + bLabels, bins: 2)
        XCTAssertGreaterThan(coarse.histogram.tieBound, 0.05)
        XCTAssertEqual(coarse.quality!.auc, pooled.auc, accuracy: coarse.histogram.tieBound)
        // The wire carries the statistics whole; a damaged message is refused.
        XCTAssertEqual(EvalStats(wire: merged.wire, bins: 1000), merged)
        XCTAssertNil(EvalStats(wire: Array(merged.wire.dropLast()), bins: 1000))
        XCTAssertNil(EvalStats(wire: merged.wire, bins: 10), "bins beyond the histogram")
        coarse.merge(EvalStats(bins: 2))
        XCTAssertEqual(coarse.count, 10)
        XCTAssertNil(EvalStats(bins: 5).quality, "no sample, no quality")
    }

    /// Seeded: the same config samples the same eval clients and gets the same
    /// figures; another round or seed samples others; turning federated eval
    /// on changes neither the training draws nor the model.
    func testSeededAndIndependentOfTraining() throws {
        let source = tinySource(population: 40)
        var cfg = tinyConfig(rounds: 2, k: 5)
        cfg.evalEvery = 1
        cfg.federatedEvalClients = 8
        let a = try records(ranks: 2, config: cfg, source: source)
        let b = try records(ranks: 2, config: cfg, source: source)
        XCTAssertEqual(a.map { $0.federatedEval!.sampled }, b.map { $0.federatedEval!.sampled })
        XCTAssertEqual(a.map { $0.federatedEval!.quality }, b.map { $0.federatedEval!.quality })
        XCTAssertEqual(a[0].federatedEval!.sampled.count, 8)
        XCTAssertNotEqual(a[0].federatedEval!.sampled, a[1].federatedEval!.sampled)
        var other = cfg
        other.seed += 1
        let c = try records(ranks: 1, config: other, source: source)
        XCTAssertNotEqual(a[0].federatedEval!.sampled, c[0].federatedEval!.sampled)
        var off = cfg
        off.federatedEvalClients = 0
        let withEval = try runFL(ranks: 2, config: cfg, source: source)
        XCTAssertEqual(try runFL(ranks: 2, config: off, source: source), withEval)
        let plain = try records(ranks: 1, config: off, source: source)
        XCTAssertNil(plain[0].federatedEval)
        XCTAssertEqual(plain.map(\.sampled), a.map(\.sampled))
    }

    /// With phones simulated: unavailable clients are skipped, failures recorded,
    /// groups per tier, and the devices' cost follows the scored samples.
    func testDeviceCostFailuresAndTiers() throws {
        let source = tinySource(population: 40, spread: 0.5)
        var cfg = tinyConfig(rounds: 1, k: 4)
        cfg.federatedEvalClients = 40
        cfg.failingClients = [3, 17]
        cfg.device = DeviceModel(seed: cfg.seed)
        let out = try LocalCommunicator.run(worldSize: 2) { comm in
            try FederatedRun.run(comm: comm, config: cfg, source: source, directory: nil)
        }[0]!
        let fe = try XCTUnwrap(out.records[0].federatedEval)
        let q = try XCTUnwrap(fe.quality)
        let dev = cfg.device!
        XCTAssertEqual(fe.unavailable, fe.sampled.filter { !dev.available(client: $0, round: 1) })
        XCTAssertFalse(fe.unavailable.isEmpty, "availability below 1 leaves some out")
        let asked = fe.sampled.filter { dev.available(client: $0, round: 1) }
        XCTAssertEqual(fe.failures.map(\.client), asked.filter { [3, 17].contains($0) })
        XCTAssertTrue(fe.failures.allSatisfy { $0.reason.contains("injected failure") })
        XCTAssertEqual(fe.evaluated, asked.filter { ![3, 17].contains($0) })
        // What each device computed, scored here with the run's final model (one round: the evaluated one).
        let model = ClientModel(spec: cfg.model.spec(for: source), maxBatch: cfg.maxBatch, seed: 1)
        out.model.withUnsafeBufferPointer { model.load(from: $0.baseAddress!) }
        let stats = try fe.evaluated.map { c -> EvalStats in
            let test = try source.data(client: c).test
            return EvalStats(logits: model.logits(test), labels: test.labels, bins: cfg.aucBins)
        }
        XCTAssertEqual(q.count, stats.reduce(0) { $0 + $1.count })
        XCTAssertEqual(fe.cost.forwardFlops, Double(q.count) * model.forwardFlopsPerSample, accuracy: 1e-6)
        XCTAssertEqual(fe.cost.downBytes, asked.count * model.parameterCount * 4)
        XCTAssertEqual(fe.cost.upBytes, stats.reduce(0) { $0 + $1.uploadBytes })
        XCTAssertLessThan(fe.cost.upBytes, fe.cost.downBytes, "sums, not the model, go up")
        let costs = zip(fe.evaluated, stats).map { c, s in
            dev.simulate(client: c, round: 1, flops: Double(s.count) * model.forwardFlopsPerSample,
                         downBytes: model.parameterCount * 4, upBytes: s.uploadBytes)
        }
        let slowest = costs.map(\.seconds).max()!
        XCTAssertEqual(fe.cost.simSeconds, slowest, accuracy: 1e-12)
        let joules = costs.reduce(0) { $0 + $1.activeJoules + $1.idleWatts * (slowest - $1.seconds) }
        XCTAssertEqual(fe.cost.simJoules, joules, accuracy: 1e-9)
        let tierCounts = dev.tiers.compactMap { fe.groups["tier:" + $0.name]?.count }
        XCTAssertEqual(tierCounts.reduce(0, +), q.count, "tiers partition the evaluated samples")
    }

    /// Bad federated-eval settings are refused by key.
    func testBadSettingsAreRefusedByKey() {
        func key(_ cfg: FederationConfig) -> String? {
            do { try cfg.validate(population: 40); return nil } catch { return (error as? FLConfigError)?.key }
        }
        var cfg = tinyConfig()
        cfg.federatedEvalClients = 41
        XCTAssertEqual(key(cfg), "eval.federated_clients")
        cfg.federatedEvalClients = -1
        XCTAssertEqual(key(cfg), "eval.federated_clients")
        cfg.federatedEvalClients = 40
        XCTAssertNil(key(cfg))
        cfg.aucBins = 1
        XCTAssertEqual(key(cfg), "eval.auc_bins")
    }
}
