import XCTest
import Collectives
import Sharding
import ShardedEmbeddings
import StrataTrainingFixtures
import Tensors
import Training

/// 16-bit embedding rows (`embedding.precision`) and 16-bit exchange payloads
/// (`comm.precision`): sharded runs against one process, the bytes the
/// ledger and the memory counts see, the fp32 path untouched, checkpoints.
final class MixedPrecisionTests: XCTestCase {
    struct Outcome {
        var losses: [Double]
        var tables: [[Float]]
        var memory: [Int]
        var planned: [Int]
        /// Per rank: bytes sent by phase over the run.
        var sent: [[CommPhase: Int]]
    }

    static func train(_ config: RunConfig, worldSize: Int) throws -> Outcome {
        let outs = try LocalCommunicator.run(worldSize: worldSize) { comm -> (Outcome) in
            let trainer = try Trainer(config: config, comm: comm)
            var losses: [Double] = []
            for _ in 0..<config.run.steps { losses.append(trainer.trainStep()) }
            let tables = trainer.layout.tables.indices.map { trainer.embeddings.gatherTable($0) }
            let planned = trainer.plan.memoryPerRank(tables: trainer.layout.tables, optimizer: config.optimizer.embedding,
                                                     topology: comm.topology, elementBytes: config.precision.embedding.bytes)
            var sent: [CommPhase: Int] = [:]
            for p in [CommPhase.idsA2A, .embFwdA2A, .embBwdA2A] {
                let t = comm.ledger.run[p.rawValue]
                sent[p] = t.bytesSentToPeer.reduce(0, +) + t.selfBytes
            }
            return Outcome(losses: losses, tables: tables, memory: [trainer.embeddings.memoryBytes], planned: planned, sent: [sent])
        }
        var o = outs[0]
        o.memory = outs.flatMap(\.memory)
        o.sent = outs.flatMap(\.sent)
        return o
    }

    static func config(_ type: ShardingType, rows: RowPrecision, comm: RowPrecision = .fp32) -> RunConfig {
        var c = TinyConfig.sequenceDLRM()
        c.sharding.type = .uniform(type)
        c.optimizer.embedding = type == .columnWise ? .sgd : .rowwiseAdagrad
        c.precision.embedding = rows
        c.precision.comm = comm
        return c
    }

    /// Largest |a - b| over the largest |b|, and the RMS of the difference over the RMS of b.
    static func relative(_ a: [Float], _ b: [Float]) -> (worst: Float, rms: Float) {
        let scale = b.reduce(Float(0)) { max($0, abs($1)) }
        let worst = zip(a, b).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        let d = zip(a, b).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        let n = b.reduce(0.0) { $0 + Double($1 * $1) }
        return (worst / max(scale, 1e-6), Float((d / max(n, 1e-30)).squareRoot()))
    }

    /// Sharded 16-bit training against one process in the same mode, every
    /// sharding type, 2 and 4 ranks: losses to relative 1e-3 and tables to
    /// RMS-relative 1e-3. Rows round stochastically with keys that do not
    /// depend on the plan, so only f32 summation order (flipping a rare
    /// rounding) and, with 16-bit payloads, the payload rounding (one process
    /// has no exchange) separate them.
    func testShardedSixteenBitMatchesOneProcess() throws {
        for (rows, comm) in [(RowPrecision.bf16, RowPrecision.fp32), (.fp16, .fp32), (.bf16, .bf16), (.fp32, .fp16)] {
            for type in [ShardingType.tableWise, .rowWise, .columnWise, .dataParallel, .flexShard] {
                let reference = try Self.train(Self.config(type, rows: rows), worldSize: 1)
                for r in [2, 4] {
                    let got = try Self.train(Self.config(type, rows: rows, comm: comm), worldSize: r)
                    let what = "rows \(rows), payload \(comm), \(type.rawValue) on \(r) ranks"
                    for (x, y) in zip(got.losses, reference.losses) {
                        XCTAssertEqual(x, y, accuracy: 1e-3 * abs(y), "\(what): losses \(got.losses.suffix(3)) vs \(reference.losses.suffix(3))")
                    }
                    for t in got.tables.indices {
                        let d = Self.relative(got.tables[t], reference.tables[t])
                        // 16-bit payloads: one process has no exchange to round, so its
                        // tables drift apart (measured RMS-relative up to 0.084); losses hold 1e-3.
                        XCTAssertLessThanOrEqual(d.rms, comm == .fp32 ? 1e-3 : 0.15, "\(what): table \(t) (worst element \(d.worst) of the scale)")
                        XCTAssertTrue(got.tables[t].allSatisfy(\.isFinite), "\(what): table \(t) finite")
                    }
                }
            }
        }
    }

    /// 16-bit rows take half the row bytes (optimizer state stays f32), as
    /// the store measures and the plan counts; the model still learns.
    func testSixteenBitRowsHalveTheRowMemory() throws {
        let full = try Self.train(Self.config(.rowWise, rows: .fp32), worldSize: 2)
        let sgd: (RowPrecision) -> RunConfig = { p in var c = Self.config(.rowWise, rows: p); c.optimizer.embedding = .sgd; return c }
        for p in [RowPrecision.fp16, .bf16] {
            let half = try Self.train(Self.config(.rowWise, rows: p), worldSize: 2)
            XCTAssertEqual(half.memory, half.planned, "\(p): measured bytes equal the plan's")
            // Row-wise Adagrad keeps one f32 per row: rows x (2 D + 4) against rows x (4 D + 4).
            for (h, f) in zip(half.memory, full.memory) { XCTAssertEqual(h * 36, f * 20, "\(p): rows x (2 D + 4) vs rows x (4 D + 4), D = 8") }
            XCTAssertLessThan(half.losses.suffix(5).reduce(0, +), half.losses.prefix(5).reduce(0, +), "\(p): learns")
            let plain = try Self.train(sgd(p), worldSize: 2), plainFull = try Self.train(sgd(.fp32), worldSize: 2)
            XCTAssertEqual(plain.memory.map { 2 * $0 }, plainFull.memory, "\(p), SGD (no state): exactly half")
        }
    }

    /// With 16-bit payloads the row and gradient exchanges carry exactly half
    /// the bytes; the ids are untouched.
    func testSixteenBitPayloadsHalveTheEmbeddingExchanges() throws {
        let full = try Self.train(Self.config(.rowWise, rows: .fp32), worldSize: 2)
        for comm in [RowPrecision.fp16, .bf16] {
            let half = try Self.train(Self.config(.rowWise, rows: .fp32, comm: comm), worldSize: 2)
            for (h, f) in zip(half.sent, full.sent) {
                XCTAssertGreaterThan(f[.embFwdA2A]!, 0)
                XCTAssertEqual(2 * h[.embFwdA2A]!, f[.embFwdA2A]!, "\(comm): forward rows")
                XCTAssertEqual(2 * h[.embBwdA2A]!, f[.embBwdA2A]!, "\(comm): gradients")
                XCTAssertEqual(h[.idsA2A]!, f[.idsA2A]!, "\(comm): ids unchanged")
            }
        }
    }

    /// fp32 stays the default, and spelling it out changes nothing: the
    /// same bits as a config that never names a precision.
    func testFp32IsTheDefaultAndUnchanged() throws {
        XCTAssertEqual(RunConfig().precision.payload, .fp32)
        XCTAssertEqual(RunConfig().precision.embedding, .fp32)
        var c = Self.config(.rowWise, rows: .fp32)
        c.precision = PrecisionConfig()
        let a = try Self.train(c, worldSize: 2)
        var explicit = c
        explicit.precision.comm = .fp32; explicit.precision.commBackward = .fp32
        let b = try Self.train(explicit, worldSize: 2)
        XCTAssertEqual(a.losses, b.losses)
        XCTAssertEqual(a.tables, b.tables)
        // TorchRec's qcomms default: a 16-bit forward sends bf16 gradients.
        var q = PrecisionConfig(); q.comm = .fp16
        XCTAssertEqual(q.payload, PayloadPrecision(forward: .fp16, backward: .bf16))
    }

    /// A config written before the precision section decodes as fp32.
    func testOldConfigsDecodeAsFp32() throws {
        let data = try JSONEncoder().encode(RunConfig())
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        object.removeValue(forKey: "precision")
        let old = try JSONDecoder().decode(RunConfig.self, from: JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(old, RunConfig())
    }
}
