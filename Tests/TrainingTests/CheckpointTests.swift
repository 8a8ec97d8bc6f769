import XCTest
import Collectives
import Foundation
import Sharding
import Training

/// Checkpoints in-process (ranks as threads): written by one world size,
/// restored on another, training continues as if never stopped; a damaged
/// file is refused by name. Tests/MPI/reliability.sh repeats this under mpirun
/// with real processes, kills and bad input.
class CheckpointTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "strata-ckpt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    /// The sharding under test (subclasses run the same checks on another).
    var shardingType: ShardingType { .rowWise }

    func config() -> RunConfig {
        var c = EquivalenceTests.tinyConfig()
        c.sharding.type = .uniform(shardingType)
        c.run.steps = 12
        return c
    }

    /// Trains `from..<to` on `worldSize` ranks, restoring from `root` first
    /// when `from > 0`, and checkpoints at the end.
    func train(worldSize: Int, from: Int, to: Int, topology: Topology? = nil) throws -> EquivalenceTests.Outcome {
        var c = config()
        c.run.steps = to
        let dir = root
        let outcomes = try LocalCommunicator.run(worldSize: worldSize, topology: topology) { comm -> EquivalenceTests.Outcome in
            let trainer = try Trainer(config: c, comm: comm)
            if from > 0 {
                try trainer.restore(from: Checkpoint.latest(in: dir))
                XCTAssertEqual(trainer.step, from)
            }
            var losses: [Double] = []
            while trainer.step < to { losses.append(trainer.trainStep()) }
            try Checkpoint.write(trainer, runDirectory: dir, keep: 2)
            return EquivalenceTests.Outcome(losses: losses, dense: Array(trainer.model.params.buffer),
                                            tables: trainer.layout.tables.indices.map { trainer.embeddings.gatherTable($0) })
        }
        return outcomes[0]
    }

    /// Trains to step 6 on `first` ranks, resumes to step 12 on `second`, and
    /// holds the joined run to one uninterrupted process.
    func assertResumeContinues(first: Int, firstTopology: Topology? = nil, second: Int, _ what: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let whole = try EquivalenceTests.train(config(), worldSize: 1)
        let a = try train(worldSize: first, from: 0, to: 6, topology: firstTopology)
        let b = try train(worldSize: second, from: 6, to: 12)
        let joined = EquivalenceTests.Outcome(losses: a.losses + b.losses, dense: b.dense, tables: b.tables)
        EquivalenceTests.assertClose(joined, whole, what, file: file, line: line)
    }

    func testResumeOnAnotherWorldSizeContinuesTheRun() throws {
        try assertResumeContinues(first: 4, second: 2, "4 ranks to step 6, then 2 ranks to step 12")
        let kept = try FileManager.default.contentsOfDirectory(atPath: root + "/checkpoints").sorted()
        XCTAssertEqual(kept, ["step-00000006", "step-00000012"])
    }

    func testFlippedByteIsRefusedNamingTheFile() throws {
        _ = try train(worldSize: 2, from: 0, to: 3)
        let shard = Checkpoint.folder(runDirectory: root, step: 3) + "/emb-rank-00001.bin"
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: shard))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: shard))
        XCTAssertThrowsError(try Checkpoint.latest(in: root)) { error in
            XCTAssertTrue("\(error)".contains("emb-rank-00001.bin: checksum mismatch"), "\(error)")
        }
    }

    func testNoCheckpointIsAClearError() {
        XCTAssertThrowsError(try Checkpoint.latest(in: root)) { error in
            XCTAssertTrue("\(error)".contains("no complete checkpoint"), "\(error)")
        }
    }
}

/// FlexShard's tier stores (lazy cold rows, replicated hot rows, per-node warm
/// copies) checkpoint by global row like any shard.
final class FlexShardCheckpointTests: CheckpointTests {
    override var shardingType: ShardingType { .flexShard }

    func testFlexShardResumesExactly() throws {
        try assertResumeContinues(first: 1, second: 1, "flexshard, 1 rank to step 6, then to step 12")
    }

    func testFlexShardResumesOnAnotherTopology() throws {
        try assertResumeContinues(first: 4, firstTopology: .emulated(worldSize: 4, ranksPerNode: 2), second: 2,
                                  "flexshard, 4 ranks as 2 nodes to step 6, then 2 ranks on one node")
    }
}

/// 16-bit rows: the checks above with fp16 rows, and the checkpoint stores
/// them in 16 bits. On the same world size a resumed run is the uninterrupted
/// one exactly (the rows are 16-bit values, so 16 bits hold them whole); on
/// another, 16-bit training itself differs by a rare flipped rounding
/// (MixedPrecisionTests), so the joined run is held to that test's bounds.
final class HalfRowCheckpointTests: CheckpointTests {
    override func config() -> RunConfig {
        var c = super.config()
        c.precision.embedding = .fp16
        return c
    }

    /// The embedding files' bytes of the newest checkpoint under `dir`.
    func embeddingBytes(_ dir: String) throws -> Int {
        let folder = try Checkpoint.latest(in: dir).directory
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("emb-") }
            .reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: folder + "/" + $1)[.size] as? Int) ?? 0) }
    }

    override func testResumeOnAnotherWorldSizeContinuesTheRun() throws {
        let whole = try EquivalenceTests.train(config(), worldSize: 1)
        let a = try train(worldSize: 4, from: 0, to: 6)
        let b = try train(worldSize: 2, from: 6, to: 12)
        for (x, y) in zip(a.losses + b.losses, whole.losses) { XCTAssertEqual(x, y, accuracy: 1e-3 * abs(y)) }
        for t in b.tables.indices {
            XCTAssertLessThanOrEqual(MixedPrecisionTests.relative(b.tables[t], whole.tables[t]).rms, 1e-3, "table \(t)")
        }
    }

    func testSixteenBitRowsResumeExactlyFromHalfTheBytes() throws {
        let whole = try EquivalenceTests.train(config(), worldSize: 2)
        let a = try train(worldSize: 2, from: 0, to: 6)
        let b = try train(worldSize: 2, from: 6, to: 12)
        EquivalenceTests.assertClose(EquivalenceTests.Outcome(losses: a.losses + b.losses, dense: b.dense, tables: b.tables), whole,
                                     "fp16 rows, 2 ranks to step 6, then 2 ranks to step 12", tolerance: 0)
        let half = try embeddingBytes(root)
        // The same run with f32 rows: the weights take twice the bytes.
        let full = root + "/fp32"
        var c = super.config()
        c.run.steps = 12
        let weights = try LocalCommunicator.run(worldSize: 2) { comm -> Int in
            let t = try Trainer(config: c, comm: comm)
            while t.step < 12 { _ = t.trainStep() }
            try Checkpoint.write(t, runDirectory: full, keep: 1)
            return t.layout.tables.reduce(0) { $0 + $1.rows * $1.dim }
        }[0]
        let fp32 = try embeddingBytes(full)
        XCTAssertEqual(fp32 - half, 2 * weights, "every weight in 2 bytes instead of 4 (fp32 \(fp32) bytes, fp16 \(half))")
    }
}
