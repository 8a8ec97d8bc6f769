import XCTest
import Model
import OneDNN
import StrataTestSupport
import Tensors

/// The dense layers' GEMM kernels against an exact (double) reference, on
/// every shape and direction the models register: oneDNN fp32 must stay
/// within the error bound of ANY fp32 summation order (re-association only),
/// as OpenBLAS does, so the two agree to that bound; bf16 within its input
/// rounding. A wrong transpose, a lost accumulation or alpha is an O(1) error.
final class GemmKernelTests: XCTestCase {
    /// Registers every layer of the Kaggle benchmark's model (bench-kaggle.yaml,
    /// batch 256), the quickstart's with both attention encoders, into `gemm`.
    func registerModels(_ gemm: DenseGemm) -> [DLRMDense] {
        let kaggle = DLRMShape(bottom: [512, 256, 64, 16], top: [512, 256, 1], pooledFeatures: 26, sequenceFeatures: 0,
                               embeddingDim: 16, encoder: .mean, maxBatch: 256, maxSequenceRows: 1)
        let attention = DLRMShape(bottom: [64, 16], top: [64, 1], pooledFeatures: 4, sequenceFeatures: 1, embeddingDim: 16,
                                  encoder: .attention(heads: 2), maxBatch: 64, maxSequenceRows: 640)
        var target = attention
        target.encoder = .targetAttention
        target.targetQueryFeature = 0
        return [kaggle, attention, target].map { DLRMDense(shape: $0, seed: 1, gemm: gemm) }
    }

    /// unit roundoff of f32
    let u = 0x1p-24

    /// Runs `kernel` on `site` with random A, B, C (alpha -0.01 where scaled)
    /// and checks every element against the double reference:
    /// |c - exact| <= bound(k) * (|alpha| sum |a b| + |beta c0|). Returns the result.
    @discardableResult
    func check(_ site: GemmSite, _ kernel: GemmKernel, bound: (Int) -> Double, seed: UInt64,
               file: StaticString = #filePath, line: UInt = #line) -> [Float] {
        let s = site.shape, M = s.m, N = s.n, K = s.k
        let a = randomBuffer(M * K, seed: seed), b = randomBuffer(K * N, seed: seed + 1), c0 = randomBuffer(M * N, seed: seed + 2)
        let alpha: Float = s.scaled ? -0.01 : 1
        let c = FlatBuffer<Float>(count: M * N)
        c.pointer.update(from: c0.pointer, count: M * N)
        site.run(kernel, alpha: alpha, a: a.pointer, b: b.pointer, c: c.pointer)
        var failures = 0
        for i in 0..<M {
            for j in 0..<N {
                var exact = 0.0, magnitude = 0.0
                for p in 0..<K {
                    let av = Double(s.transA ? a[p * M + i] : a[i * K + p])
                    let bv = Double(s.transB ? b[j * K + p] : b[p * N + j])
                    exact += av * bv; magnitude += abs(av * bv)
                }
                exact *= Double(alpha); magnitude *= abs(Double(alpha))
                if s.accumulate { exact += Double(c0[i * N + j]); magnitude += abs(Double(c0[i * N + j])) }
                let err = abs(Double(c[i * N + j]) - exact)
                if !(err <= bound(K) * magnitude + 1e-30) {
                    failures += 1
                    if failures <= 3 {
                        XCTFail("\(site.labels) [\(s)] \(kernel): C[\(i),\(j)] = \(c[i * N + j]), exact \(exact), "
                                + "error \(err) > \(bound(K) * magnitude)", file: file, line: line)
                    }
                }
            }
        }
        return Array(c.buffer)
    }

    /// Any fp32 summation order of k products, plus alpha and the accumulation: gamma(k + 2).
    func fp32Bound(_ k: Int) -> Double { Double(k + 2) * u / (1 - Double(k + 2) * u) }

    func testOneDNNFP32EqualsOpenBLASOnEveryLayerShape() {
        let gemm = DenseGemm(options: GemmOptions(mode: .onednn, precision: .fp32))
        let models = registerModels(gemm)
        XCTAssertEqual(models.count, 3)
        // Kaggle alone: bottom 4 fwd + 4 dW + 3 dx, top 3 x 3, interaction 2.
        XCTAssertGreaterThanOrEqual(gemm.sites.count, 20)
        var shapes = Set<String>()
        for (n, site) in gemm.sites.enumerated() {
            XCTAssertEqual(site.allowed, [.onednnFP32], "\(site.shape): oneDNN fp32 could not be built")
            XCTAssertEqual(site.kernel, .onednnFP32)
            let blas = check(site, .openblas, bound: fp32Bound, seed: UInt64(10 * n))
            let dnnl = check(site, .onednnFP32, bound: fp32Bound, seed: UInt64(10 * n))
            // Same inputs: the two differ by re-association only, far below 1e-4 of the scale.
            let scale = blas.map { abs($0) }.max() ?? 1
            let worst = zip(blas, dnnl).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-4 * max(scale, 1e-30), "\(site.labels) [\(site.shape)]")
            shapes.insert("\(site.shape.transA)\(site.shape.transB)")
        }
        // Every direction: forward (NT), weight gradient (TN), input gradient (NN).
        XCTAssertEqual(shapes, ["falsetrue", "truefalse", "falsefalse"])
    }

    func testBF16WithinItsRounding() throws {
        guard OneDNN.hasNativeBF16 else {
            throw XCTSkip("this CPU has no native bf16 (oneDNN ISA \(OneDNN.isa)): bf16 GEMMs are not offered")
        }
        let gemm = DenseGemm(options: GemmOptions(mode: .onednn, precision: .bf16))
        _ = registerModels(gemm)
        XCTAssertNil(gemm.note)
        // Each input rounds to nearest bf16 (relative 2^-9), so a product is
        // within 2^-8 + 2^-18 of exact; then f32 accumulation.
        let bf16Bound = { (k: Int) in 0x1p-8 + 0x1p-17 + self.fp32Bound(k) }
        var checked = 0
        for (n, site) in gemm.sites.enumerated() {
            let deep = site.shape.k >= GemmSite.minimumBF16Depth
            XCTAssertEqual(site.allowed, deep ? [.onednnFP32, .onednnBF16] : [.onednnFP32], "\(site.shape)")
            guard deep else { continue }
            check(site, .onednnBF16, bound: bf16Bound, seed: UInt64(10 * n + 5))
            checked += 1
        }
        XCTAssertGreaterThan(checked, 15)
    }

    func testBF16FallsBackToFP32WithoutNativeSupport() {
        let gemm = DenseGemm(options: GemmOptions(mode: .auto, precision: .bf16))
        _ = registerModels(gemm)
        let offered = Set(gemm.sites.flatMap(\.allowed))
        if OneDNN.hasNativeBF16 {
            XCTAssertNil(gemm.note)
            XCTAssertTrue(offered.contains(.onednnBF16))
        } else {
            XCTAssertEqual(gemm.note?.contains("running fp32"), true)
            XCTAssertFalse(offered.contains(.onednnBF16))
        }
    }

    func testOpenBLASModeRegistersNothing() {
        let gemm = DenseGemm(options: .openblas)
        _ = registerModels(gemm)
        XCTAssertTrue(gemm.sites.isEmpty)
        XCTAssertTrue(gemm.choices.isEmpty)
    }

    /// Tuning picks an allowed kernel per shape and times each; the choices
    /// name every layer; saved choices adopted by a second model win over its own.
    func testTuneAndAdoptSavedChoices() {
        let gemm = DenseGemm(options: GemmOptions(mode: .auto, precision: .fp32))
        _ = registerModels(gemm)
        let picked = gemm.tune(seconds: 0.0005)
        XCTAssertEqual(picked.count, gemm.sites.count)
        for (site, k) in zip(gemm.sites, picked) {
            XCTAssertTrue(site.allowed.contains(k))
            XCTAssertEqual(Set(site.timings.keys), Set(site.allowed))
        }
        let labels = gemm.choices.flatMap(\.layers)
        for l in ["bottom.0 fwd", "bottom.0 dW", "top.2 dx", "interaction fwd", "seq.0 dWk"] {
            XCTAssertTrue(labels.contains(l), "\(l) not in \(labels)")
        }
        XCTAssertFalse(labels.contains("bottom.0 dx"), "the bottom MLP's first layer has no input gradient")
        // Every shape flipped to the other fp32 kernel, then adopted by a fresh model.
        var saved = gemm.choices
        for i in saved.indices { saved[i].kernel = saved[i].kernel == "openblas-fp32" ? "onednn-fp32" : "openblas-fp32" }
        let other = DenseGemm(options: GemmOptions(mode: .auto, precision: .fp32))
        _ = registerModels(other)
        other.adopt(saved: saved)
        XCTAssertEqual(other.choices.map(\.kernel), saved.map(\.kernel))
    }

    /// A whole model on oneDNN fp32 trains as on OpenBLAS (fused SGD path
    /// included: alpha = -lr onto the weights), to re-association.
    func testModelStepMatchesOpenBLAS() {
        let shape = DLRMShape(bottom: [32, 8], top: [32, 1], pooledFeatures: 3, sequenceFeatures: 0,
                              embeddingDim: 8, encoder: .mean, maxBatch: 16, maxSequenceRows: 1)
        let dnnl = DLRMDense(shape: shape, seed: 3, gemm: DenseGemm(options: GemmOptions(mode: .onednn, precision: .fp32)))
        let blas = DLRMDense(shape: shape, seed: 3)
        let dense = randomBuffer(16 * 13, seed: 4), pooled = randomBuffer(3 * 16 * 8, seed: 5)
        let labels = FlatBuffer<Float>(count: 16)
        for b in 0..<16 { labels[b] = Float(b % 2) }
        for step in 0..<3 {
            var losses: [Float] = []
            for m in [dnnl, blas] {
                losses.append(m.forward(batch: 16, dense: dense.pointer, pooled: pooled.pointer, sequences: [],
                                        labels: labels.pointer, lossScale: 1 / 16))
                m.backward(fusedSGD: 0.1)
            }
            XCTAssertEqual(losses[0], losses[1], accuracy: 1e-5 * abs(losses[1]), "step \(step)")
        }
        assertClose("params", dnnl.params.pointer, blas.params.pointer, count: dnnl.parameterCount, rel: 1e-5)
    }
}
