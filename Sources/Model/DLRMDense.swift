import Tensors

/// The dense part of a sequence DLRM (DLRM reference, plus FlexShard-style
/// sequence features):
///
///     dense [B x 13] -> bottom MLP (ReLU last) -> x0 [B x D] ---------------.
///     pooled embeddings [P x B x D] -----------------------------------------+-> features [B x F x D]
///     sequence rows [N x D] per feature -> SequenceEncoder -> [B x D] -------'
///     features -> DotInteraction -> [B x (D + F(F-1)/2)] -> top MLP -> logit [B] -> BCE
///
/// All dense parameters live in ONE flat buffer described by `layout`
/// (names `bottom.l.weight`, `bottom.l.bias`, `top.l.*`, `seq.s.wk`, `seq.s.query`),
/// gradients in a second buffer with the same layout, so an optimizer or the
/// dense all-reduce is one flat call. Every activation is allocated at init for
/// `maxBatch`; `forward` and `backward` allocate nothing.
///
/// Step protocol: `zeroGrad()`, `forward(...)`, `backward()`, then the optimizer.
/// `backward` ACCUMULATES into `grads` (so micro-batches can add up) and
/// OVERWRITES `dPooled` and `dRows(feature:)`, which hold this step's embedding
/// gradients until the next backward.
public final class DLRMDense {
    public let shape: DLRMShape
    public let layout: ParameterLayout
    public let params: FlatBuffer<Float>
    public let grads: FlatBuffer<Float>

    public let bottomMLP: MLP
    public let topMLP: MLP
    public let encoders: [SequenceEncoder]
    private let encoderRanges: [Range<Int>]   // each encoder's parameters in the flat buffer
    public let interaction: DotInteraction

    private let features: FlatBuffer<Float>     // [maxB x F x D]
    private let dFeatures: FlatBuffer<Float>    // [maxB x F x D]
    private let interOut: FlatBuffer<Float>     // [maxB x W]
    private let dInter: FlatBuffer<Float>       // [maxB x W]
    private let staging: FlatBuffer<Float>      // [maxB x D] encoder output / gradient
    private let dBottom: FlatBuffer<Float>      // [maxB x D]
    private let dPooledBuffer: FlatBuffer<Float>  // [P x B x D] compact for the current B
    private let dRowsBuffers: [FlatBuffer<Float>] // S x [maxSequenceRows x D]
    private let logitBuffer: FlatBuffer<Float>  // [maxB]
    private let dLogits: FlatBuffer<Float>      // [maxB]
    private var batch = 0
    /// Set by `forwardBottom`: the bottom MLP already ran on this batch.
    private var bottomReady: (batch: Int, dense: UnsafePointer<Float>, out: UnsafePointer<Float>)?

    /// The GEMM kernels every layer registered with (nil: OpenBLAS throughout).
    public let gemm: DenseGemm?

    /// `gemm`: where the layers register their GEMM shapes at batch
    /// `gemmBatch` (default `shape.maxBatch`: the batch the hot path runs);
    /// the caller tunes it (or adopts choices) before the first step.
    public init(shape: DLRMShape, seed: UInt64, gemm: DenseGemm? = nil, gemmBatch: Int? = nil) {
        if let why = shape.invalidReason { preconditionFailure("DLRMShape: \(why)") }
        self.shape = shape
        let D = shape.embeddingDim, F = shape.features, maxB = shape.maxBatch
        var layout = ParameterLayout()
        let bottomAt = MLP.addParameters(to: &layout, name: "bottom", input: shape.denseFeatures, widths: shape.bottom)
        let topAt = MLP.addParameters(to: &layout, name: "top", input: shape.interactionWidth, widths: shape.top)
        var encoderAt: [Int] = []
        for s in 0..<shape.sequenceFeatures {
            encoderAt.append(layout.count)
            SequenceEncoder.addParameters(to: &layout, name: "seq.\(s)", kind: shape.encoder, dim: D)
        }
        self.layout = layout
        params = FlatBuffer(count: layout.count)
        grads = FlatBuffer(count: layout.count)

        self.gemm = gemm
        bottomMLP = MLP(input: shape.denseFeatures, widths: shape.bottom, lastActivation: .relu, maxBatch: maxB,
                        params: params.pointer + bottomAt, grads: grads.pointer + bottomAt,
                        gemm: gemm, gemmBatch: gemmBatch, name: "bottom", inputGradient: false)
        topMLP = MLP(input: shape.interactionWidth, widths: shape.top, lastActivation: .none, maxBatch: maxB,
                     params: params.pointer + topAt, grads: grads.pointer + topAt, gemm: gemm,
                     gemmBatch: gemmBatch, name: "top")
        let p = params.pointer, g = grads.pointer
        encoderRanges = encoderAt.map { $0..<($0 + SequenceEncoder.parameterCount(kind: shape.encoder, dim: D)) }
        interaction = DotInteraction(features: F, dim: D, gemm: gemm)
        encoders = encoderAt.enumerated().map { s, at in
            SequenceEncoder(kind: shape.encoder, dim: D, maxBatch: maxB, maxRows: shape.maxSequenceRows,
                            params: p + at, grads: g + at, gemm: gemm, gemmBatch: gemmBatch, label: "seq.\(s)")
        }

        features = FlatBuffer(count: maxB * F * D)
        dFeatures = FlatBuffer(count: maxB * F * D)
        interOut = FlatBuffer(count: maxB * shape.interactionWidth)
        dInter = FlatBuffer(count: maxB * shape.interactionWidth)
        staging = FlatBuffer(count: maxB * D)
        dBottom = FlatBuffer(count: maxB * D)
        dPooledBuffer = FlatBuffer(count: shape.pooledFeatures * maxB * D)
        dRowsBuffers = (0..<shape.sequenceFeatures).map { _ in FlatBuffer(count: shape.maxSequenceRows * D) }
        logitBuffer = FlatBuffer(count: maxB)
        dLogits = FlatBuffer(count: maxB)

        // Streams: bottom layers 0..., top layers 1000..., encoders 100_000 + 2s.
        bottomMLP.initialize(seed: seed, firstLayer: 0)
        topMLP.initialize(seed: seed, firstLayer: 1000)
        for (s, e) in encoders.enumerated() { e.initialize(seed: seed, stream: 100_000 + 2 * UInt64(s)) }
    }

    public var parameterCount: Int { layout.count }
    public var logits: UnsafePointer<Float> { UnsafePointer(logitBuffer.pointer) }  // [B]
    /// d loss / d pooled embeddings, [P x B x D] feature-major for the last
    /// batch B: in the model's own buffer, or where `backward(dPooledInto:)` put it.
    public var dPooled: UnsafePointer<Float> { UnsafePointer(dPooledTarget ?? dPooledBuffer.pointer) }
    private var dPooledTarget: UnsafeMutablePointer<Float>?
    /// d loss / d sequence rows of feature `s`, [N x D] in the input's row order.
    public func dRows(feature s: Int) -> UnsafePointer<Float> { UnsafePointer(dRowsBuffers[s].pointer) }

    public func zeroGrad() { grads.zero() }

    /// Runs the model and the loss; returns the SUM of BCE losses over the batch
    /// and keeps `dLogits = (sigmoid(z) - y) * lossScale` for `backward`.
    /// Every input pointer must stay valid and unchanged until `backward`.
    public func forward(batch B: Int,
                        dense: UnsafePointer<Float>,    // [B x denseFeatures]
                        pooled: UnsafePointer<Float>,   // [P x B x D]
                        sequences: [SequenceBatch],     // S features, each with inverse [B]
                        labels: UnsafePointer<Float>,   // [B]
                        lossScale: Float) -> Float {
        precondition(B <= shape.maxBatch, "batch \(B) > maxBatch \(shape.maxBatch)")
        precondition(sequences.count == shape.sequenceFeatures, "expected \(shape.sequenceFeatures) sequence features")
        let D = shape.embeddingDim, F = shape.features, P = shape.pooledFeatures
        batch = B
        let x = features.pointer
        // Feature 0: bottom MLP (unless `forwardBottom` ran it while the
        // embedding exchange was in flight).
        let x0: UnsafePointer<Float>
        if let ready = bottomReady, ready.batch == B, ready.dense == dense {
            x0 = ready.out
        } else {
            x0 = bottomMLP.forward(dense, batch: B)
        }
        bottomReady = nil
        for b in 0..<B { Rows.copy(x + b * F * D, x0 + b * D, count: D) }
        // Features 1...P: pooled embeddings, transposed from feature-major.
        for p in 0..<P {
            for b in 0..<B { Rows.copy(x + (b * F + 1 + p) * D, pooled + (p * B + b) * D, count: D) }
        }
        // Features P+1...P+S: encoded sequences.
        let query = shape.targetQueryFeature.map { pooled + $0 * B * D }
        for (s, seq) in sequences.enumerated() {
            encoders[s].forward(seq, batch: B, query: query, out: staging.pointer)
            for b in 0..<B { Rows.copy(x + (b * F + 1 + P + s) * D, staging.pointer + b * D, count: D) }
        }
        interaction.forward(x: x, out: interOut.pointer, batch: B)
        let z = topMLP.forward(interOut.pointer, batch: B)
        logitBuffer.pointer.update(from: z, count: B)
        return BinaryCrossEntropy.forward(logits: z, labels: labels, count: B, scale: lossScale,
                                          dLogits: dLogits.pointer)
    }

    /// Runs the bottom MLP alone, so a trainer can overlap it with the
    /// embedding output dist (dlrm's `distributed_forward`); the next
    /// `forward` on the same `dense` pointer and batch reuses its output.
    public func forwardBottom(batch B: Int, dense: UnsafePointer<Float>) {
        precondition(B <= shape.maxBatch, "batch \(B) > maxBatch \(shape.maxBatch)")
        bottomReady = (B, dense, bottomMLP.forward(dense, batch: B))
    }

    /// The forward schedule reversed. Accumulates parameter gradients; writes
    /// `dPooled` and every `dRows(feature:)`. `parametersDone(range)` runs as
    /// soon as the gradients of `range` (of the flat buffers) are final and
    /// the rest of the backward no longer reads those parameters: a trainer
    /// with nothing to sum across ranks updates them there, while they are
    /// still in cache. The ranges cover every parameter once.
    ///
    /// `fusedSGD: lr` is that trainer's fast path under plain SGD: every MLP
    /// layer takes its step `w -= lr * g` inside its own backward
    /// (`Linear.backwardApplyingSGD`), its weight gradients never written;
    /// `parametersDone` then reports only the encoders' ranges, whose
    /// gradients this call zeroes first, so no `zeroGrad` is needed.
    ///
    /// `dPooledInto`: [P x B x D] floats to write `dPooled` to instead of the
    /// model's buffer (a trainer whose embedding gradients already have that
    /// layout saves a copy).
    public func backward(fusedSGD: Float? = nil, dPooledInto: UnsafeMutablePointer<Float>? = nil,
                         parametersDone: (Range<Int>) -> Void = { _ in }) {
        let B = batch, D = shape.embeddingDim, F = shape.features, P = shape.pooledFeatures
        dPooledTarget = dPooledInto
        let dPooledOut = dPooledInto ?? dPooledBuffer.pointer
        let base = params.pointer
        func done(_ layer: Linear) {
            guard fusedSGD == nil else { return }
            let at = layer.weight - base
            parametersDone(at..<(at + Linear.parameterCount(inputs: layer.inputs, outputs: layer.outputs)))
        }
        if fusedSGD != nil {
            for range in encoderRanges { (grads.pointer + range.lowerBound).update(repeating: 0, count: range.count) }
        }
        topMLP.backward(dLogits.pointer, dx: dInter.pointer, sgdLearningRate: fusedSGD, layerDone: done)
        interaction.backward(x: features.pointer, dOut: dInter.pointer, dx: dFeatures.pointer, batch: B)
        let dx = dFeatures.pointer
        for b in 0..<B { Rows.copy(dBottom.pointer + b * D, dx + b * F * D, count: D) }
        for p in 0..<P {
            for b in 0..<B { Rows.copy(dPooledOut + (p * B + b) * D, dx + (b * F + 1 + p) * D, count: D) }
        }
        // Target attention's query gradient adds onto its pooled feature's gradient.
        let dQuery = shape.targetQueryFeature.map { dPooledOut + $0 * B * D }
        for (s, encoder) in encoders.enumerated() {
            for b in 0..<B { Rows.copy(staging.pointer + b * D, dx + (b * F + 1 + P + s) * D, count: D) }
            encoder.backward(dOut: staging.pointer, dRows: dRowsBuffers[s].pointer, dQuery: dQuery)
            if !encoderRanges[s].isEmpty { parametersDone(encoderRanges[s]) }
        }
        bottomMLP.backward(dBottom.pointer, dx: nil, sgdLearningRate: fusedSGD, layerDone: done)
    }

    /// Rough forward+backward FLOPs per sample (backward ~ 2x forward): MLPs
    /// 2*I*O each, interaction F(F-1)/2 dots of D, encoders per id of a sequence
    /// of `meanSequenceLength` (attention per head, target attention plus its
    /// `D x D` query projection). Dedup savings are not counted.
    public func flopsPerSample(meanSequenceLength L: Double) -> Double {
        var forward = 0.0
        var i = shape.denseFeatures
        for o in shape.bottom { forward += 2 * Double(i * o); i = o }
        i = shape.interactionWidth
        for o in shape.top { forward += 2 * Double(i * o); i = o }
        let D = Double(shape.embeddingDim), F = Double(shape.features)
        forward += F * (F - 1) / 2 * 2 * D
        let perSequence: Double
        switch shape.encoder {
        case .mean: perSequence = L * D
        case .attention(let h): perSequence = 2 * L * D * Double(h) + 2 * L * D
        case .targetAttention: perSequence = 4 * L * D + 2 * D * D
        }
        forward += Double(shape.sequenceFeatures) * perSequence
        return 3 * forward
    }
}
