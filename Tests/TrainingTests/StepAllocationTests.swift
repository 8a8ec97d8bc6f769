import XCTest
import Foundation
import Collectives
import Data
import MallocCounter
import Model
import Sharding
import Sparse
import StrataTrainingFixtures
import Training

/// SYSTEM.md's "the step loop allocates nothing": after warm-up, a training
/// step makes no heap allocation on its rank's thread, for every plan, with
/// dedup on and off and with each encoder. Counted by a per-thread malloc
/// hook (Tests/MallocCounter), so a step that allocated even once would fail.
///
/// The data is one epoch of 6 batches: warm-up trains all of them, so the
/// counted steps replay batches whose sizes every buffer has already seen
/// (buffers grow only when a step brings more ids than any before it).
final class StepAllocationTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(strata_malloc_count_supported() == 1, "the malloc counter needs glibc")
    }

    static func config(dedup: Bool = true, encoder: EncoderChoice = .attention) -> RunConfig {
        var c = TinyConfig.sequenceDLRM(dedup: dedup, encoder: encoder)
        c.data.synthetic.samples = 6 * c.run.batchSize
        // oneDNN's primitive execute builds its argument map on the heap (a few
        // small blocks a call, freed in the call: oneDNN 2.6's C API has no
        // other way in), so Strata's own zero is counted on OpenBLAS, pinned
        // (auto could pick oneDNN); `testOneDNNStepAllocatesTheSameEveryStep` covers oneDNN.
        c.model.gemm = .openblas
        return c
    }

    /// Allocations each rank's thread made during `steps` steps after warm-up.
    static func allocations(_ config: RunConfig, worldSize: Int, topology: Topology? = nil, steps: Int = 6) throws -> [Int] {
        try LocalCommunicator.run(worldSize: worldSize, topology: topology) { comm -> Int in
            let trainer = try Trainer(config: config, comm: comm)
            for _ in 0..<(2 * steps) { trainer.trainStep() }
            strata_malloc_count_start()
            for _ in 0..<steps { trainer.trainStep() }
            return strata_malloc_count_stop()
        }
    }

    func testTheCounterCounts() {
        strata_malloc_count_start()
        let a = [Int](repeating: 7, count: 1000 + Int.random(in: 0..<2))
        let n = strata_malloc_count_stop()
        XCTAssertEqual(a.count >= 1000, true)
        XCTAssertGreaterThanOrEqual(n, 1, "an array allocation was not counted")
    }

    func testTheProcessCounterSeesOtherThreads() {
        let go = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let thread = Thread {
            go.wait()
            let a = [Int](repeating: 1, count: 4096 + Int.random(in: 0..<2))
            if a.isEmpty { print("unreachable") }
            done.signal()
        }
        thread.start()
        strata_malloc_count_all_start()
        go.signal()
        done.wait()
        XCTAssertGreaterThanOrEqual(strata_malloc_count_all_stop(), 1, "another thread's allocation was not counted")
    }

    func testOneRankStepAllocatesNothing() throws {
        for dedup in [true, false] {
            for encoder in EncoderChoice.allCases {
                let got = try Self.allocations(Self.config(dedup: dedup, encoder: encoder), worldSize: 1)
                XCTAssertEqual(got, [0], "1 rank, dedup \(dedup), \(encoder): allocations in 6 steps")
            }
        }
    }

    /// Every dense GEMM on oneDNN (fp32, and bf16 where the CPU has it):
    /// primitives, scratchpads and bf16 buffers were made at start-up, so a
    /// step allocates only inside oneDNN's execute (its argument map, freed in
    /// the call): the same count every step, nothing that grows or is kept.
    func testOneDNNStepAllocatesTheSameEveryStep() throws {
        for precision in DensePrecision.allCases {
            var c = Self.config(encoder: .attention)
            c.model.gemm = .onednn
            c.model.precision = precision
            let perStep = try LocalCommunicator.run(worldSize: 1) { comm -> [Int] in
                let trainer = try Trainer(config: c, comm: comm)
                for _ in 0..<12 { trainer.trainStep() }
                return (0..<6).map { _ in
                    strata_malloc_count_start()
                    trainer.trainStep()
                    return strata_malloc_count_stop()
                }
            }[0]
            print("oneDNN \(precision): allocations per step \(perStep)")
            XCTAssertEqual(Set(perStep).count, 1, "oneDNN \(precision): allocations per step vary: \(perStep)")
        }
    }

    /// The whole process, the prefetch thread building the next batches
    /// included: the synthetic source refills the batches the steps hand back.
    func testOneRankProcessAllocatesNothing() throws {
        let got = try LocalCommunicator.run(worldSize: 1) { comm -> Int in
            let trainer = try Trainer(config: Self.config(), comm: comm)
            for _ in 0..<12 { trainer.trainStep() }
            strata_malloc_count_all_start()
            for _ in 0..<6 { trainer.trainStep() }
            return strata_malloc_count_all_stop()
        }
        XCTAssertEqual(got, [0], "allocations of the whole process in 6 steps")
    }

    func testEveryPlanStepAllocatesNothing() throws {
        for type in ShardingType.allCases {
            var c = Self.config()
            c.sharding.type = .uniform(type)
            c.optimizer.embedding = type == .columnWise ? .adagrad : .rowwiseAdagrad
            let got = try Self.allocations(c, worldSize: 4, topology: .emulated(worldSize: 4, ranksPerNode: 2))
            XCTAssertEqual(got, [0, 0, 0, 0], "\(type.rawValue) on 4 ranks as 2 nodes: allocations per rank in 6 steps")
        }
    }

    /// The same with ids deduplicated in the exchange (`sharding.dedup_ids`).
    func testEveryPlanStepWithDedupIdsAllocatesNothing() throws {
        for type in ShardingType.allCases {
            var c = Self.config()
            c.sharding.type = .uniform(type)
            c.sharding.dedupIds = true
            c.optimizer.embedding = type == .columnWise ? .adagrad : .rowwiseAdagrad
            let got = try Self.allocations(c, worldSize: 4, topology: .emulated(worldSize: 4, ranksPerNode: 2))
            XCTAssertEqual(got, [0, 0, 0, 0], "\(type.rawValue), dedup_ids, on 4 ranks as 2 nodes: allocations per rank in 6 steps")
        }
    }
}

/// The synthetic source refills a batch in place: the same batch `batch`
/// builds, and, once the storage has grown, no allocation.
final class BatchRefillTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(strata_malloc_count_supported() == 1, "the malloc counter needs glibc")
    }

    func testFillEqualsBatchAndAllocatesNothing() throws {
        try checkSyntheticFill(TinyConfig.sequenceDLRM().data.synthetic)
    }

    /// The same with multi-hot extra bags, as `Configs/bench-kaggle.yaml` draws
    /// them (1-10 ids over 24 tables: the scratch for a sample's bags).
    func testMultiHotFillEqualsBatchAndAllocatesNothing() throws {
        var config = TinyConfig.sequenceDLRM().data.synthetic
        config.extraTables = (0..<24).map { TableSpec(name: "c\($0)", rows: 1_000) }
        config.extraIdsPerBag = 1...10
        try checkSyntheticFill(config)
    }

    func checkSyntheticFill(_ config: SyntheticConfig) throws {
        let source = SyntheticDataset(config)
        var reused = source.batch(globalStart: 90, count: 40, split: .train, dedup: false)
        checkFill(source, "synthetic", into: &reused,
                  windows: [(0, 30, .train, true), (30, 30, .train, false), (7, 25, .eval, true), (1990, 30, .train, true)])
    }

    /// `source.fill` into `reused` (holding whatever it held) equals
    /// `source.batch` on every window; then four refills of batches of `size`
    /// samples, once warm, allocate nothing.
    func checkFill(_ source: some BatchSource, _ name: String, into reused: inout Batch,
                   windows: [(start: Int, count: Int, split: Split, dedup: Bool)], size: Int = 30) {
        for w in windows {
            source.fill(&reused, globalStart: w.start, count: w.count, split: w.split, dedup: w.dedup)
            XCTAssertEqual(reused, source.batch(globalStart: w.start, count: w.count, split: w.split, dedup: w.dedup),
                           "\(name): fill(\(w.start), \(w.count), \(w.split), dedup \(w.dedup))")
        }
        for k in 0..<4 { source.fill(&reused, globalStart: size * k, count: size, split: .train, dedup: true) }   // warm
        strata_malloc_count_start()
        for k in 0..<4 { source.fill(&reused, globalStart: size * k, count: size, split: .train, dedup: true) }
        XCTAssertEqual(strata_malloc_count_stop(), 0, "\(name): allocations while refilling 4 warmed batches")
    }

    /// The binary reader's fill: equal to `batch` for both layouts, dedup on
    /// and off, windows cut by the file's end, and a file whose user rows
    /// recur far apart (dedup must still merge them, as `batch`'s map does);
    /// once warm, no allocation.
    func testBinaryFillEqualsBatchAndAllocatesNothing() throws {
        let source = SyntheticDataset(TinyConfig.sequenceDLRM().data.synthetic)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-fill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var files: [(String, BinaryDataset)] = []
        for layout in [BinaryLayout.flat, .session] {
            let path = dir + "/\(layout).strata"
            try BinaryDataset.write(from: source, split: .train, layout: layout, to: path, batchSize: 500)
            files.append(("\(layout)", try BinaryDataset(path: path)))
        }
        // Three user rows taking turns: rows recur, never in one run.
        let base = source.batch(globalStart: 0, count: 300, split: .train, dedup: true)
        let turns = try InverseKeyedJaggedTensor(unique: base.userSide.unique.gathering(samples: [0, 1, 2]),
                                                 inverse: (0..<base.size).map { Int32(($0 / 2) % 3) })
        let recurring = Batch(size: base.size, labels: base.labels, dense: base.dense, itemSide: base.itemSide,
                              userSide: turns, sampleIndex: 0)
        try BinaryDataset.write(recurring, schema: source.schema, split: .train, layout: .session, to: dir + "/turns.strata")
        files.append(("recurring rows", try BinaryDataset(path: dir + "/turns.strata")))

        for (name, file) in files {
            let n = file.sampleCount(.train)
            var reused = source.batch(globalStart: 90, count: 40, split: .train, dedup: false)
            checkFill(file, name, into: &reused, windows: [(0, 30, .train, true), (30, 30, .train, false), (7, 25, .train, true),
                                                         (n - 20, 30, .train, true), (n + 5, 10, .train, true)])
            file.fill(&reused, globalStart: n + 5, count: 10, split: .train, dedup: true)
            XCTAssertLessThan(reused.size, 1, "\(name): a window past the end is empty")
            file.fill(&reused, globalStart: 0, count: 30, split: .train, dedup: true)
            if name == "recurring rows" { XCTAssertEqual(reused.userSide.uniqueCount, 3, "rows merged across runs") }
        }
    }

    /// The real-data readers refill in place too: Criteo (the 200-row
    /// sample), MovieLens with one history and with the liked / disliked
    /// halves, and a binary pair as `DataSources.load` serves it (train and
    /// eval files behind one source). Each equals its own `batch` on windows
    /// of both splits, dedup on and off, and allocates nothing once warm.
    func testReaderFillsEqualBatchAndAllocateNothing() throws {
        var sources: [(String, any BatchSource)] = []
        var criteo = TinyConfig.sequenceDLRM().data
        criteo.source = .criteo; criteo.path = try CriteoEndToEndTests.samplePath(); criteo.criteoRowsPerTable = 1_000
        sources.append(("criteo", try DataSources.load(criteo, seed: 1).source))
        let movielens = URL(fileURLWithPath: criteo.path!).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("movielens").path
        for feedback in [false, true] {
            var ml = TinyConfig.sequenceDLRM().data
            ml.source = .movielens; ml.path = movielens; ml.movielens.historyFeedback = feedback
            ml.movielens.historyLength = 20
            sources.append(("movielens, feedback \(feedback)", try DataSources.load(ml, seed: 1).source))
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-fill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let synthetic = SyntheticDataset(TinyConfig.sequenceDLRM().data.synthetic)
        for split in [Split.train, .eval] {
            try BinaryDataset.write(from: synthetic, split: split, layout: .session, to: dir + "/\(split).strata", batchSize: 500)
        }
        var binary = TinyConfig.sequenceDLRM().data
        binary.source = .binary; binary.path = dir + "/train.strata"; binary.evalPath = dir + "/eval.strata"
        sources.append(("binary pair", try DataSources.load(binary, seed: 1).source))

        for (name, source) in sources {
            var windows: [(start: Int, count: Int, split: Split, dedup: Bool)] = []
            for split in [Split.train, .eval] {
                let n = source.sampleCount(split)
                XCTAssertGreaterThan(n, 10, "\(name) \(split)")
                windows += [(0, 16, split, true), (5, 16, split, false), (n - 10, 16, split, true), (n + 3, 8, split, true)]
            }
            var reused = Batch.empty
            checkFill(source, name, into: &reused, windows: windows, size: 16)
        }
    }
}
