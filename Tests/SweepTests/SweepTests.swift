import XCTest
import Collectives
import ScalingLaws
import Sweep
import Training

/// The sweep on ranks as threads (LocalCommunicator): a coordinator and worker
/// groups, against training each point alone. Tests/MPI runs `strata sweep`
/// under mpirun.
final class SweepTests: XCTestCase {
    static func tinyBase() -> RunConfig {
        var c = RunConfig()
        c.model.embeddingDim = 4
        c.model.bottom = [8, 4]
        c.model.top = [8, 1]
        c.model.encoder = .mean
        c.data.synthetic.samples = 600
        c.data.synthetic.evalSamples = 200
        c.data.synthetic.itemRows = 100
        c.data.synthetic.userRows = 80
        c.data.synthetic.extraTables = [.init(name: "c0", rows: 20)]
        c.data.synthetic.historyMaxLength = 4
        c.data.synthetic.sessionLength = 2
        c.run.batchSize = 40
        c.run.steps = 10
        c.run.logEvery = 1_000
        return c
    }

    /// The keys these tests vary (the CLI passes ConfigLoader's declared keys instead).
    static let apply: ConfigApplier = { config, key, text in
        guard let v = Int(text) else { throw ConfigError("\(key): not an integer: \(text)") }
        switch key {
        case "data.synthetic.samples": config.data.synthetic.samples = v
        case "model.embedding_dim": config.model.embeddingDim = v
        case "run.batch_size": config.run.batchSize = v
        default: throw ConfigError("unknown key '\(key)'")
        }
    }

    static func tinySpec() -> SweepSpec {
        var spec = SweepSpec(name: "tiny", base: tinyBase(), axes: [
            SweepAxis(name: "data", key: "data.synthetic.samples", values: ["200", "400", "800", "1600"]),
            SweepAxis(name: "dim", key: "model.embedding_dim", values: ["2", "4", "8"], x: .parameters),
        ])
        spec.seeds = [1, 2]
        spec.epochs = 1
        spec.bootstrapResamples = 20
        return spec
    }

    func tempDir() -> String {
        let d = NSTemporaryDirectory() + "strata-sweep-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: d) }
        return d
    }

    /// Runs a sweep on `worldSize` threads; returns rank 0's outcome.
    func sweep(_ spec: SweepSpec, worldSize: Int, out: String, resume: Bool = false) throws -> SweepOutcome {
        let points = spec.points(apply: Self.apply)
        let outcomes = try LocalCommunicator.run(worldSize: worldSize) { comm in
            try SweepRunner(spec: spec, points: points, outDirectory: out, resume: resume, progress: nil).run(world: comm)
        }
        XCTAssertTrue(outcomes.dropFirst().allSatisfy { $0 == nil }, "workers return nil")
        return try XCTUnwrap(outcomes[0])
    }

    func testLinesExpandEachAxisTimesSeedsWithStepsFromEpochs() {
        var spec = Self.tinySpec()
        spec.epochs = 2
        let points = spec.points(apply: Self.apply)
        XCTAssertEqual(points.count, (4 + 3) * 2)
        XCTAssertEqual(Set(points.map(\.id)).count, points.count, "ids are unique")
        let p = points.first { $0.coordinates["data"] == "800" && $0.seed == 2 }!
        XCTAssertEqual(p.config.data.synthetic.samples, 800)
        XCTAssertEqual(p.config.run.steps, 40, "ceil(2 * 800 / 40)")
        XCTAssertEqual(p.config.run.seed, 2)
        XCTAssertEqual(p.id, "data=800_seed=2")
        let d = points.first { $0.coordinates["dim"] == "8" }!
        XCTAssertEqual(d.config.model.embeddingDim, 8)
        XCTAssertEqual(d.config.model.bottom, [8, 8], "the bottom MLP's last width follows embedding_dim")
        XCTAssertNil(d.coordinates["data"])
    }

    func testGridIsEveryCombination() {
        var spec = Self.tinySpec()
        spec.layout = .grid
        spec.seeds = [7]
        let points = spec.points(apply: Self.apply)
        XCTAssertEqual(points.count, 4 * 3)
        XCTAssertTrue(points.allSatisfy { $0.coordinates.count == 2 && $0.config.run.seed == 7 })
    }

    func testSpecRefusesNonNumericValueAxisAndBadGroupSize() throws {
        var spec = Self.tinySpec()
        spec.axes[1] = SweepAxis(name: "dim", key: "model.bottom", values: ["[8, 4]"], x: .value)
        XCTAssertThrowsError(try spec.validate()) { XCTAssertTrue("\($0)".contains("numeric")) }
        var spec2 = Self.tinySpec()
        spec2.groupSize = 2
        XCTAssertThrowsError(try sweep(spec2, worldSize: 4, out: tempDir())) {
            XCTAssertTrue("\($0)".contains("group_size 2 does not divide the 3 worker ranks"), "\($0)")
        }
    }

    /// The main test, in-process: coordinator plus two groups of one.
    func testSweepOnThreeRanksWritesEverythingAndMatchesTrainingAlone() throws {
        let out = tempDir()
        let spec = Self.tinySpec()
        let outcome = try sweep(spec, worldSize: 3, out: out)
        XCTAssertEqual(outcome.records.count, 14)
        XCTAssertEqual(outcome.done, 14)
        XCTAssertEqual(Set(outcome.records.compactMap(\.group)), [0, 1], "both groups trained")
        let fm = FileManager.default
        for f in ["runs.csv", "fits.json", "sweep.json", "plot-data.svg", "plot-dim.svg", "plot-compute.svg"] {
            XCTAssertTrue(fm.fileExists(atPath: "\(out)/\(f)"), f)
        }
        let csv = try String(contentsOfFile: "\(out)/runs.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 15, "header plus one row per point")
        XCTAssertTrue(csv[0].hasPrefix("index,id,status,data,dim,seed,eval_logloss,eval_ne"))
        let fits = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/fits.json"))) as! [String: Any]
        let axes = fits["axes"] as! [[String: Any]]
        XCTAssertEqual(axes.map { $0["name"] as! String }, ["data", "dim"])
        for k in ["a", "b", "c", "r2", "held_out_error"] { XCTAssertNotNil(axes[0][k], k) }
        XCTAssertNotNil(fits["compute"])
        let svg = try String(contentsOfFile: "\(out)/plot-data.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg") && svg.contains("fit-curve"))

        // Every point equals training it alone on a world of one.
        for r in outcome.records {
            XCTAssertTrue(fm.fileExists(atPath: "\(out)/\(r.runDirectory)/summary.json"), r.id)
            let alone = try LocalCommunicator.run(worldSize: 1) { comm in
                try TrainingRun(trainer: Trainer(config: r.config, comm: comm), runDirectory: nil, progress: nil).run()
            }[0]
            XCTAssertEqual(r.evalLogloss, alone.metrics.evalLogloss, r.id)
            XCTAssertEqual(r.evalNe, alone.metrics.evalNe, r.id)
            XCTAssertEqual(r.samplesSeen, alone.samples, r.id)
            XCTAssertEqual(r.denseParameters, alone.memory.denseParameters, r.id)
            XCTAssertGreaterThan(r.flops ?? 0, 0)
            XCTAssertGreaterThan(r.embeddingParameters ?? 0, 0)
        }
        // The parameter axis is on parameters: more dims, more parameters.
        let dims = outcome.records.filter { $0.coordinates["dim"] != nil && $0.seed == 1 }.sorted { $0.index < $1.index }
        XCTAssertEqual(dims.map { $0.parameters! }, dims.map { $0.parameters! }.sorted())
        XCTAssertEqual(outcome.fits.axes[1].x, "parameters")
    }

    func testGroupsOfTwoGiveTheSameResultsAsGroupsOfOne() throws {
        var spec = Self.tinySpec()
        spec.axes = [spec.axes[0]]
        spec.seeds = [1]
        let one = try sweep(spec, worldSize: 2, out: tempDir())
        spec.groupSize = 2
        let two = try sweep(spec, worldSize: 3, out: tempDir())
        for (a, b) in zip(one.records, two.records) {
            XCTAssertEqual(a.status, .done)
            XCTAssertEqual(a.evalLogloss!, b.evalLogloss!, accuracy: 1e-5 * a.evalLogloss!, a.id)
        }
    }

    func testBadPointIsRecordedFailedAndTheSweepGoesOn() throws {
        let out = tempDir()
        var spec = Self.tinySpec()
        // 20 samples < batch size 40: the Trainer refuses this point on its worker.
        spec.axes = [SweepAxis(name: "data", key: "data.synthetic.samples", values: ["20", "200", "400", "800"]),
                     // Not an integer: the applier fails before training.
                     SweepAxis(name: "batch", key: "run.batch_size", values: ["forty"], x: .samplesSeen)]
        spec.seeds = [1]
        let outcome = try sweep(spec, worldSize: 3, out: out)
        XCTAssertEqual(outcome.records.count, 5)
        XCTAssertEqual(outcome.done, 3)
        let bad = outcome.records.first { $0.coordinates["data"] == "20" }!
        XCTAssertEqual(bad.status, .failed)
        XCTAssertTrue(bad.error?.contains("fewer than run.batch_size") ?? false, bad.error ?? "no error")
        let typo = outcome.records.first { $0.coordinates["batch"] != nil }!
        XCTAssertEqual(typo.status, .failed)
        XCTAssertTrue(typo.error?.contains("not an integer") ?? false, typo.error ?? "no error")
        let csv = try String(contentsOfFile: "\(out)/runs.csv", encoding: .utf8)
        XCTAssertTrue(csv.contains("data=20_seed=1,failed,20,"), csv)
        XCTAssertNotNil(outcome.fits.axes[0].fit, "the data axis fits on its 3 good points")
        XCTAssertNotNil(outcome.fits.axes[1].error, "the batch axis has no point to fit")
    }

    func testResumeRerunsOnlyPointsNotDone() throws {
        let out = tempDir()
        var spec = Self.tinySpec()
        spec.axes = [spec.axes[0]]
        spec.seeds = [1]
        let first = try sweep(spec, worldSize: 2, out: out)
        // Forget one point, as if the job had died while training it.
        let lost = first.records[2]
        try FileManager.default.removeItem(atPath: "\(out)/\(lost.runDirectory)/point.json")
        let marker = "\(out)/\(first.records[0].runDirectory)/summary.json"
        let before = try FileManager.default.attributesOfItem(atPath: marker)[.modificationDate] as! Date
        let second = try sweep(spec, worldSize: 2, out: out, resume: true)
        XCTAssertEqual(second.done, 4)
        XCTAssertEqual(second.records.map(\.evalLogloss), first.records.map(\.evalLogloss))
        let after = try FileManager.default.attributesOfItem(atPath: marker)[.modificationDate] as! Date
        XCTAssertEqual(before, after, "a done point is not trained again")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/\(lost.runDirectory)/point.json"))
    }

    func testFitsRecoverAPlantedLawFromRecords() {
        var spec = Self.tinySpec()
        spec.axes = [SweepAxis(name: "data", key: "data.synthetic.samples", values: ["1", "2", "4", "8", "16", "32"])]
        spec.seeds = [1]
        let law = PowerLaw(a: 2, b: 0.5, c: 0.3)
        let records = spec.points(apply: { _, _, _ in }).map { p -> PointRecord in
            var r = PointRecord(pending: p)
            let x = Double(p.coordinates["data"]!)! * 1000
            r.coordinates["data"] = String(Int(x))
            r.status = .done
            r.evalLogloss = law(x); r.flops = x * 10
            return r
        }
        let fits = SweepFits.fit(spec: spec, records: records)
        XCTAssertEqual(fits.axes[0].b!, 0.5, accuracy: 0.005)
        XCTAssertEqual(fits.axes[0].c!, 0.3, accuracy: 0.003)
        XCTAssertGreaterThan(fits.axes[0].r2!, 0.999)
        XCTAssertLessThan(fits.axes[0].heldOutError!, 0.01)
        XCTAssertEqual(fits.compute.b!, 0.5, accuracy: 0.005)
    }
}
