import XCTest
#if canImport(Glibc)
import Glibc
#endif
import Tensors
import Model
import StrataTestSupport

/// A tiny sequence DLRM with fixed inputs: B = 5, D = 4, P = 2 pooled features,
/// S = 2 sequence features (one deduplicated with an empty sequence, one not).
final class TinyDLRM {
    let B = 5, D = 4
    let model: DLRMDense
    let dense: FlatBuffer<Float>, pooled: FlatBuffer<Float>, labels: FlatBuffer<Float>
    let rows: [FlatBuffer<Float>]
    let offsets: [FlatBuffer<Int32>], inverse: [FlatBuffer<Int32>]
    let uniqueCounts = [3, 5]
    var scale: Float { 1 / Float(B) }

    init(encoder: SequenceEncoderKind, seed: UInt64 = 7) {
        let shape = DLRMShape(denseFeatures: 3, bottom: [6, 4], top: [5, 1], pooledFeatures: 2, sequenceFeatures: 2,
                              embeddingDim: 4, encoder: encoder, targetQueryFeature: 1, maxBatch: 6, maxSequenceRows: 16)
        model = DLRMDense(shape: shape, seed: seed)
        dense = randomBuffer(B * 3, seed: 101)
        pooled = randomBuffer(2 * B * D, seed: 102)
        labels = FlatBuffer(count: B)
        for (k, v) in [1, 0, 1, 1, 0].enumerated() { labels[k] = Float(v) }
        offsets = [int32Buffer([0, 3, 3, 5]), int32Buffer([0, 2, 6, 7, 8, 9])]
        inverse = [int32Buffer([0, 0, 2, 1, 0]), int32Buffer([4, 3, 2, 1, 0])]
        rows = [randomBuffer(5 * D, seed: 103), randomBuffer(9 * D, seed: 104)]
    }

    var sequences: [SequenceBatch] {
        (0..<2).map { SequenceBatch(rows: rows[$0].pointer, offsets: offsets[$0].pointer,
                                    uniqueCount: uniqueCounts[$0], inverse: inverse[$0].pointer) }
    }

    @discardableResult
    func forward() -> Float {
        model.forward(batch: B, dense: dense.pointer, pooled: pooled.pointer, sequences: sequences,
                      labels: labels.pointer, lossScale: scale)
    }

    /// scale * sum of BCE, recomputed in Double from the logits (finer than the Float sum).
    func scaledLoss() -> Double {
        forward()
        var s = 0.0
        for b in 0..<B {
            let z = Double(model.logits[b]), y = Double(labels[b])
            s += max(z, 0) - z * y + log1p(exp(-abs(z)))
        }
        return s * Double(scale)
    }
}

final class DLRMDenseTests: XCTestCase {
    func checkWholeModel(_ kind: SequenceEncoderKind) {
        let t = TinyDLRM(encoder: kind)
        t.model.zeroGrad()
        t.forward()
        t.model.backward()
        let dPooled = FlatBuffer<Float>(count: 2 * t.B * t.D)
        dPooled.pointer.update(from: t.model.dPooled, count: dPooled.count)
        let dRows = (0..<2).map { s -> FlatBuffer<Float> in
            let buf = FlatBuffer<Float>(count: t.rows[s].count)
            buf.pointer.update(from: t.model.dRows(feature: s), count: buf.count)
            return buf
        }
        assertGradient("\(kind) params", value: t.model.params.pointer, count: t.model.parameterCount,
                       analytic: t.model.grads.pointer, loss: t.scaledLoss)
        assertGradient("\(kind) dPooled", value: t.pooled.pointer, count: dPooled.count,
                       analytic: dPooled.pointer, loss: t.scaledLoss)
        for s in 0..<2 {
            assertGradient("\(kind) dRows[\(s)]", value: t.rows[s].pointer, count: t.rows[s].count,
                           analytic: dRows[s].pointer, loss: t.scaledLoss)
        }
    }

    func testWholeModelGradientMean() { checkWholeModel(.mean) }
    func testWholeModelGradientAttention() { checkWholeModel(.attention(heads: 2)) }
    func testWholeModelGradientTargetAttention() { checkWholeModel(.targetAttention) }

    func testLayoutAndAccumulation() {
        let t = TinyDLRM(encoder: .attention(heads: 2))
        XCTAssertEqual(t.model.layout.entries.first?.name, "bottom.0.weight")
        XCTAssertEqual(t.model.layout.entry(named: "seq.1.query")?.shape, [2, 4])
        XCTAssertEqual(t.model.parameterCount, t.model.layout.count)
        XCTAssertEqual(t.model.shape.interactionWidth, 4 + 10)
        XCTAssertGreaterThan(t.model.flopsPerSample(meanSequenceLength: 3), 0)
        t.model.zeroGrad()
        t.forward(); t.model.backward()
        let once = Array(t.model.grads.buffer)
        t.forward(); t.model.backward()
        for k in 0..<once.count { XCTAssertEqual(t.model.grads[k], 2 * once[k], accuracy: 1e-6 + 1e-5 * abs(once[k])) }
    }

    /// `parametersDone` names every parameter exactly once, and only after its
    /// gradient is final: a trainer that updates there would otherwise skip
    /// or double-update a layer, or update it before its gradient is whole.
    func testParametersDoneCoversEveryParameterOnceWithFinalGradients() {
        for kind in [SequenceEncoderKind.mean, .attention(heads: 2), .targetAttention] {
            let t = TinyDLRM(encoder: kind)
            t.model.zeroGrad()
            t.forward(); t.model.backward()
            let final = Array(t.model.grads.buffer)
            t.model.zeroGrad()
            t.forward()
            var seen = [Int](repeating: 0, count: t.model.parameterCount)
            var gradsAtDone = [Float](repeating: .nan, count: t.model.parameterCount)
            t.model.backward { range in
                for k in range { seen[k] += 1; gradsAtDone[k] = t.model.grads[k] }
            }
            XCTAssertEqual(seen, [Int](repeating: 1, count: seen.count), "\(kind)")
            XCTAssertEqual(gradsAtDone, final, "\(kind): a gradient changed after its range was reported")
        }
    }

    /// `backward(fusedSGD:)` takes the same SGD step as `backward` then
    /// `SGD.step` over every parameter, over three steps (so a stale weight
    /// gradient or an update made before `dx` read the weights would show),
    /// and hands the embeddings the same input gradients.
    func testFusedSGDBackwardMatchesBackwardThenSGD() {
        let lr: Float = 0.3
        for kind in [SequenceEncoderKind.mean, .attention(heads: 2), .targetAttention] {
            let plain = TinyDLRM(encoder: kind), fused = TinyDLRM(encoder: kind)
            for step in 0..<3 {
                plain.model.zeroGrad()
                plain.forward(); plain.model.backward()
                SGD.step(params: plain.model.params.pointer, grads: plain.model.grads.pointer,
                         count: plain.model.parameterCount, learningRate: lr)
                fused.forward()
                var reported = 0
                fused.model.backward(fusedSGD: lr) { range in
                    reported += range.count
                    SGD.step(params: fused.model.params.pointer + range.lowerBound,
                             grads: fused.model.grads.pointer + range.lowerBound, count: range.count, learningRate: lr)
                }
                let encoderParameters = fused.model.layout.entries.filter { $0.name.hasPrefix("seq.") }
                    .reduce(0) { $0 + $1.count }
                XCTAssertEqual(reported, encoderParameters, "\(kind): only the encoders are left to the caller")
                for k in 0..<plain.model.parameterCount {
                    let p = plain.model.params[k], f = fused.model.params[k]
                    XCTAssertEqual(f, p, accuracy: 1e-6 * max(1, abs(p)), "\(kind) step \(step) parameter \(k)")
                }
                // Step 0 reads the same weights: the input gradients are the
                // same floats. Later steps read weights one rounding apart
                // (the GEMM's beta = 1 update may fuse its multiply-add where
                // SGD.step rounds twice, depending on the BLAS kernel), so
                // they agree to that rounding, far below a stale weight's error.
                let tol: Float = step == 0 ? 0 : 1e-5
                for k in 0..<(2 * plain.B * plain.D) {
                    let p = plain.model.dPooled[k]
                    XCTAssertEqual(fused.model.dPooled[k], p, accuracy: tol * max(1, abs(p)), "\(kind) step \(step) dPooled \(k)")
                }
                for s in 0..<2 {
                    for k in 0..<plain.rows[s].count {
                        let p = plain.model.dRows(feature: s)[k]
                        XCTAssertEqual(fused.model.dRows(feature: s)[k], p, accuracy: tol * max(1, abs(p)),
                                       "\(kind) step \(step) dRows[\(s)] \(k)")
                    }
                }
            }
        }
    }

    /// llm.c's golden trajectory: 10 SGD steps on dense parameters and on the
    /// embedding inputs, losses pinned. Any change to init, math or layout shows here.
    func testGoldenTenSteps() {
        let t = TinyDLRM(encoder: .targetAttention, seed: 2024)
        let lr: Float = 0.5
        var losses: [Float] = []
        for _ in 0..<10 {
            t.model.zeroGrad()
            losses.append(t.forward() * t.scale)
            t.model.backward()
            SGD.step(params: t.model.params.pointer, grads: t.model.grads.pointer, count: t.model.parameterCount,
                     learningRate: lr)
            SGD.step(params: t.pooled.pointer, grads: t.model.dPooled, count: t.pooled.count, learningRate: lr)
            for s in 0..<2 {
                SGD.step(params: t.rows[s].pointer, grads: t.model.dRows(feature: s), count: t.rows[s].count,
                         learningRate: lr)
            }
        }
        let expected: [Float] = [0.92442465, 0.8212413, 0.7375627, 0.6611994, 0.59041584,
                                 0.53087205, 0.48698932, 0.45760092, 0.43879914, 0.42632684]
        XCTAssertEqual(losses.count, expected.count)
        for (a, e) in zip(losses, expected) { XCTAssertEqual(a, e, accuracy: 1e-5 * abs(e)) }
        XCTAssertLessThan(losses[9], losses[0], "training lowers the loss")
    }
}
