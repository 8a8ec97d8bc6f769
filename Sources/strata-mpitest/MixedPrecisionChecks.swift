import Collectives
import Sharding
import Tensors
import Training

/// 16-bit rows and payloads under mpirun: every sharding type, sharded
/// training against one process in the same mode (losses to relative 1e-3,
/// tables to RMS-relative 1e-3), and the embedding exchanges carrying exactly
/// half the bytes of the fp32 run.
enum MixedPrecisionChecks {
    static func run(_ world: Communicator, _ checks: inout Checks) throws {
        let modes: [(RowPrecision, RowPrecision)] = [(.bf16, .fp32), (.fp16, .bf16), (.fp32, .fp16)]
        for (rows, payload) in modes {
            for variant in EquivalenceChecks.Variant.all {
                if case .flexShardGather = variant { continue }
                // Element-wise Adagrad turns a payload's rounding of a ~0 gradient into
                // a full step (see EquivalenceChecks.tolerance): checked with fp32 payloads only.
                if case .columnWiseAdagrad = variant, payload != .fp32 { continue }
                var c = EquivalenceChecks.config(dedup: true, variant: variant)
                c.precision.embedding = rows
                try compare(c, payload: payload, dedupIds: false, "rows \(rows), payload \(payload), \(variant)", world, &checks)
            }
        }
        // Ids deduplicated per rank with 16-bit payloads: rows widened at every
        // place, repeated gradients summed in fp32 and rounded once. Held against
        // one process as closely as the same payload without dedup is (which
        // rounds every place's gradient, and in fp16 flushes more small ones).
        for payload in [RowPrecision.fp16, .bf16] where world.size > 1 {
            for variant in [EquivalenceChecks.Variant.uniform(.rowWise), .uniform(.tableWise)] {
                var c = EquivalenceChecks.config(dedup: true, variant: variant)
                let exact = try EquivalenceChecks.train(c, comm: LocalCommunicator())
                c.precision.comm = payload
                let plain = try EquivalenceChecks.train(c, comm: world)
                c.sharding.dedupIds = true
                let got = try EquivalenceChecks.train(c, comm: world)
                func error(_ r: EquivalenceChecks.Outcome) -> (loss: Double, table: Double) {
                    (zip(r.losses, exact.losses).map { abs($0 - $1) / abs($1) }.max() ?? 0,
                     zip(r.tables, exact.tables).map { rmsRelative($0, $1) }.max() ?? 0)
                }
                let (e, p) = (error(got), error(plain))
                checks.expect(e.loss <= max(2 * p.loss, 1e-3) && e.table <= max(2 * p.table, 1e-2),
                              "dedup_ids, payload \(payload), \(variant), \(world.size) ranks: from one process, losses \(e.loss) "
                              + "and tables \(e.table) RMS-relative (without dedup \(p.loss), \(p.table))")
            }
        }
        // The ledger: 16-bit payloads carry exactly half the row and gradient bytes.
        guard world.size > 1 else { return }
        func sent(_ payload: RowPrecision) throws -> [Int] {
            var c = EquivalenceChecks.config(dedup: true, variant: .uniform(.rowWise))
            c.precision.comm = payload
            let before = [CommPhase.idsA2A, .embFwdA2A, .embBwdA2A].map { world.ledger.run[$0.rawValue].bytesSentToPeer.reduce(0, +) }
            _ = try EquivalenceChecks.train(c, comm: world)
            return [CommPhase.idsA2A, .embFwdA2A, .embBwdA2A].enumerated().map { i, p in
                world.ledger.run[p.rawValue].bytesSentToPeer.reduce(0, +) - before[i]
            }
        }
        let full = try sent(.fp32), half = try sent(.bf16)
        checks.expect(full[1] > 0 && full[1] == 2 * half[1] && full[2] == 2 * half[2] && full[0] == half[0],
                      "ledger: ids \(half[0]) vs \(full[0]), rows \(half[1]) vs \(full[1]), gradients \(half[2]) vs \(full[2]) bytes")
    }

    /// Sharded training with `payload` against one process (which has no exchange to round).
    static func compare(_ base: RunConfig, payload: RowPrecision, dedupIds: Bool, _ label: String,
                        _ world: Communicator, _ checks: inout Checks) throws {
        var c = base
        let ref = try EquivalenceChecks.train(c, comm: LocalCommunicator())
        c.precision.comm = payload
        c.sharding.dedupIds = dedupIds
        let got = try EquivalenceChecks.train(c, comm: world)
        let what = "\(label), \(world.size) ranks"
        // 16-bit rows: 1e-3. bf16 payloads (8 bits) round what one process never
        // rounds; column shards and element-wise Adagrad amplify it: 1e-2.
        let lossTol = payload == .fp32 ? 1e-3 : 1e-2
        checks.expect(zip(got.losses, ref.losses).allSatisfy { abs($0 - $1) <= lossTol * abs($1) },
                      "\(what): losses \(got.losses.suffix(3)) vs \(ref.losses.suffix(3))")
        for t in got.tables.indices {
            let d = zip(got.tables[t], ref.tables[t]).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
            let n = ref.tables[t].reduce(0.0) { $0 + Double($1 * $1) }
            // With 16-bit payloads the tables are held to 0.3 RMS-relative.
            checks.expect((d / max(n, 1e-30)).squareRoot() <= (payload == .fp32 ? 1e-3 : 0.3), "\(what): table \(t) RMS-relative difference")
        }
    }

    /// |g - r| / |r| over a whole table.
    static func rmsRelative(_ g: [Float], _ r: [Float]) -> Double {
        var d = 0.0, n = 0.0
        for (a, b) in zip(g, r) {
            d += Double(a - b) * Double(a - b)
            n += Double(b) * Double(b)
        }
        return (d / max(n, 1e-30)).squareRoot()
    }
}
