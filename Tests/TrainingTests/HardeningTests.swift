import XCTest
import Collectives
import Data
import Foundation
import Sharding
import Training

/// Sizes that cannot be met are refused before allocating, naming the key;
/// a damaged newest checkpoint falls back to the newest intact one only when
/// asked, and the refusal says which are intact (docs/RELIABILITY.md).
final class HardeningTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "strata-harden-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func assertRefused(_ c: RunConfig, naming words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try LocalCommunicator.run(worldSize: 1) { comm in _ = try Trainer(config: c, comm: comm) },
                             file: file, line: line) { e in
            XCTAssert(e is ConfigError || e is PlanError, "\(type(of: e)): \(e)", file: file, line: line)
            for w in words { XCTAssert("\(e)".contains(w), "'\(w)' not in: \(e)", file: file, line: line) }
        }
    }

    func testSizeProductsThatOverflowAreRefusedNamingTheKey() {
        var c = EquivalenceTests.tinyConfig()
        c.data.synthetic.itemRows = Int.max / 3
        assertRefused(c, naming: ["overflows a 64-bit size", "data.synthetic.item_rows"])
        c = EquivalenceTests.tinyConfig()
        c.data.synthetic.extraTables = [TableSpec(name: "c0", rows: 10), TableSpec(name: "c1", rows: 1 << 60)]
        assertRefused(c, naming: ["data.synthetic.extra_tables[1]"])
        c = EquivalenceTests.tinyConfig()
        c.model.top = [1 << 40, 1 << 40, 1]
        assertRefused(c, naming: ["a layer of model.top", "overflows"])
        c = EquivalenceTests.tinyConfig()
        c.run.batchSize = 1 << 62
        assertRefused(c, naming: ["run.batch_size"])
    }

    func testAPlanOverTheMemoryBudgetIsRefusedBeforeAllocating() {
        // 2^36 rows of 8 floats and their state: terabytes, on any machine.
        var c = EquivalenceTests.tinyConfig()
        c.data.synthetic.itemRows = 1 << 36
        assertRefused(c, naming: ["bytes of embeddings on rank 0", "this rank's share of the machine's memory",
                                  "sharding.memory_budget_bytes"])
        // An explicit budget is the one checked.
        c = EquivalenceTests.tinyConfig()
        c.sharding.memoryBudgetBytes = 1000
        assertRefused(c, naming: ["over the memory budget of 1000 bytes"])
    }

    /// Trains `to` steps (restoring `from` first when given) and checkpoints.
    func train(to: Int, from: LoadedCheckpoint? = nil) throws -> [Float] {
        var c = EquivalenceTests.tinyConfig()
        c.run.steps = to
        let dir = root
        return try LocalCommunicator.run(worldSize: 1) { comm -> [Float] in
            let t = try Trainer(config: c, comm: comm)
            if let from { try t.restore(from: from) }
            while t.step < to { _ = t.trainStep() }
            try Checkpoint.write(t, runDirectory: dir, keep: 3)
            return Array(t.model.params.buffer)
        }[0]
    }

    func testDamagedNewestCheckpointFallsBackToTheNewestIntactOneWhenAsked() throws {
        _ = try train(to: 3)
        let straight = try train(to: 6, from: try Checkpoint.latest(in: root))
        let shard = Checkpoint.folder(runDirectory: root, step: 6) + "/dense.bin"
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: shard))
        bytes[bytes.count - 5] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: shard))
        // Without the flag: refused, naming the damage and the intact checkpoint.
        XCTAssertThrowsError(try Checkpoint.latest(in: root)) { e in
            XCTAssert(e is InputError)
            for w in ["step-00000006/dense.bin: checksum mismatch", "intact checkpoints: step-00000003 (step 3)", "--fallback-to-intact"] {
                XCTAssert("\(e)".contains(w), "'\(w)' not in: \(e)")
            }
        }
        // With it: the newest intact one, the damage listed; set aside, the run writes step 6 afresh.
        let ck = try Checkpoint.latest(in: root, fallback: true)
        XCTAssertEqual(ck.state.step, 3)
        XCTAssertEqual(ck.damaged.map { ($0.folder as NSString).lastPathComponent }, ["step-00000006"])
        try Checkpoint.setAside(ck.damaged)
        XCTAssertEqual(try Checkpoint.latest(in: root).state.step, 3)
        let again = try train(to: 6, from: ck)
        XCTAssertEqual(again, straight, "the resumed run is bit-identical to the first")
        XCTAssertEqual(try Checkpoint.latest(in: root).state.step, 6)
        XCTAssert(FileManager.default.fileExists(atPath: root + "/checkpoints/damaged-step-00000006/dense.bin"))
        // Every complete checkpoint damaged: nothing to fall back to, said so.
        for step in [3, 6] {
            let p = Checkpoint.folder(runDirectory: root, step: step) + "/state.json"
            try "{}".write(toFile: p, atomically: true, encoding: .utf8)
        }
        XCTAssertThrowsError(try Checkpoint.latest(in: root, fallback: true)) { e in
            XCTAssert("\(e)".contains("no intact checkpoint is left"), "\(e)")
        }
    }

    func testFileSystemErrorsArePlainSentencesNamingThePath() throws {
        let file = root + "/plain-file"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunFolder.prepare(path: file + "/run/inner")) { e in
            XCTAssertEqual("\(e)", "cannot create the run folder \(file)/run/inner: a parent of it, \(file), is a file, not a folder")
        }
        XCTAssertThrowsError(try RunFolder.prepare(path: file)) { e in
            XCTAssertEqual("\(e)", "the run folder \(file) is a file, not a folder; pick another --run-dir")
        }
        XCTAssertEqual(FileSystemError.reason(errno: ENOSPC), "no space left on the device")
        let made = root + "/a/b/c"
        try RunFolder.prepare(path: made)
        XCTAssert(FileManager.default.fileExists(atPath: made))
    }
}
